package org.rollcall.harness;

/** A server someone else runs, at a URL. */
record ExternalServer(String httpUrl, String apiKey, String secret) implements ServerTarget {
    ExternalServer {
        httpUrl = httpUrl.replaceAll("/+$", "");
    }
}
