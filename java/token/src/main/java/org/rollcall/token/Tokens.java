package org.rollcall.token;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The token format (docs/protocol.md, "Tokens") and the identifier rules shared by minting and checking. */
public final class Tokens {
    public static final String PREFIX = "rc1.";
    public static final int MAX_DATA_BYTES = 1000;

    private static final Pattern API_KEY = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9_.~-]{1,128}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private Tokens() {
    }

    public static boolean isValidApiKey(String apiKey) {
        return apiKey != null && API_KEY.matcher(apiKey).matches();
    }

    public static boolean isValidSessionId(String sessionId) {
        return sessionId != null && SESSION_ID.matcher(sessionId).matches();
    }

    public static boolean isValidData(String data) {
        return data != null && data.getBytes(StandardCharsets.UTF_8).length <= MAX_DATA_BYTES;
    }

    /** A fresh random string of {@code bytes} random bytes, base64url without padding. */
    public static String randomString(int bytes) {
        byte[] buffer = new byte[bytes];
        RANDOM.nextBytes(buffer);
        return base64(buffer);
    }

    static String base64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static byte[] unbase64(String text) {
        return Base64.getUrlDecoder().decode(text);
    }

    /** HMAC-SHA256(secret, "rc1." + payload). */
    static byte[] sign(String secret, String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal((PREFIX + payload).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
