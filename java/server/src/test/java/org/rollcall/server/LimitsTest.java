package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rollcall.server.ConnectionEventsTest.created;
import static org.rollcall.server.ConnectionEventsTest.destroyed;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LimitsTest {

    @Test
    void sessionBeyondItsMaximumRefusesWith1027() {
        try (Fixture fixture = new Fixture(Fixture.fastConfig().maxConnectionsPerSession(2).build())) {
            String session = Fixture.newSession();
            TestClient ann = fixture.join(session, "ann");
            TestClient bob = fixture.join(session, "bob");

            TestClient third = fixture.open();
            third.send(TestClient.connectFrame(Fixture.APP.apiKey(), session, fixture.token(session, "cy"), false));
            assertEquals(1027, third.awaitError().path("code").asInt());
            assertEquals(1008, third.awaitClose());

            fixture.join(Fixture.newSession(), "elsewhere"); // the limit is per session
            bob.close();
            ann.awaitEvent(destroyed(bob.id()), TestClient.TIMEOUT);
            TestClient cy = fixture.join(session, "cy"); // room again
            ann.awaitEvent(created(cy.id()), TestClient.TIMEOUT);
            assertEquals(List.of(bob.id(), bob.id(), cy.id()), ann.events().stream()
                    .map(e -> e.path("connection").path("id").asText()).toList(),
                    "ann saw bob come and go and cy come, nothing of the refused one");
        }
    }

    @Test
    void tooManyNewConnectionsFromOneAddressRefuseWith1023() {
        ServerConfig config = Fixture.fastConfig().connectRate(0.01).connectBurst(3).build();
        try (Fixture fixture = new Fixture(config)) {
            String session = Fixture.newSession();
            List<TestClient> allowed = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                allowed.add(fixture.join(session, "c" + i));
            }
            TestClient refused = fixture.open();
            refused.send(TestClient.connectFrame(Fixture.APP.apiKey(), session, fixture.token(session, "over"), false));
            JsonNode error = refused.awaitError();
            assertEquals(1023, error.path("code").asInt());
            assertTrue(error.path("retryAfterMs").asLong() > 0, error::toString);
            assertEquals(1008, refused.awaitClose());
            allowed.forEach(client -> assertFalse(client.isClosed()));
            assertEquals(1, HttpApiTest.metric(fixture.get("/metrics").body(), "rollcall_errors_total{code=\"1023\"}"));
        }
    }
}
