package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

class TlsTest {

    @Test
    void servesWssAndHttpsWithAPemCertificateAndKey() throws Exception {
        X509Bundle certificate = new CertificateBuilder().subject("CN=localhost").addSanIpAddress("127.0.0.1")
                .addSanDnsName("localhost").setIsCertificateAuthority(true).ecp256().buildSelfSigned();
        SSLContext trusting = SSLContext.getInstance("TLS");
        trusting.init(null, certificate.toTrustManagerFactory().getTrustManagers(), null);
        HttpClient https = HttpClient.newBuilder().sslContext(trusting).build();

        try (RollcallServer server = RollcallServer.builder().port(0).app(Fixture.APP)
                .tls(certificate.toTempCertChainPem().toPath(), certificate.toTempPrivateKeyPem().toPath())
                .build().start()) {
            assertTrue(server.webSocketUrl().startsWith("wss://127.0.0.1:"));
            HttpResponse<String> health = https.send(HttpRequest.newBuilder(URI.create(server.url() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());

            String token = new org.rollcall.token.TokenGenerator(Fixture.APP.apiKey(), Fixture.APP.secret())
                    .generate("secure-room");
            try (TestClient client = TestClient.open(https, URI.create(server.webSocketUrl()))) {
                client.send(TestClient.connectFrame(Fixture.APP.apiKey(), "secure-room", token, false));
                assertEquals("secure-room", client.awaitConnected().path("sessionId").asText());
            }
        }
    }
}
