package org.rollcall.harness;

/** A server someone else runs, at a URL. */
record ExternalServer(String httpUrl, String apiKey, String secret, String adminSecret) implements ServerTarget {
    ExternalServer {
        httpUrl = httpUrl.replaceAll("/+$", "");
        adminSecret = adminSecret != null ? adminSecret : secret;
    }
}
