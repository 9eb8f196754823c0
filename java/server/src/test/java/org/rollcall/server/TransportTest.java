package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every transport the server offers carries the protocol: two clients see each other come and go. */
class TransportTest {
    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"EPOLL", "IO_URING", "NIO"})
    void twoClientsSeeEachOther(Transport transport) throws IOException {
        assumeTrue(transport != Transport.EPOLL || Epoll.isAvailable(), "no epoll here");
        assumeTrue(transport != Transport.IO_URING || IoUring.isAvailable(), "no io_uring here");
        try (RollcallServer server = RollcallServer.builder().port(0).app(Fixture.APP).transport(transport)
                .config(Fixture.fastConfig().build()).build().start()) {
            URI ws = URI.create(server.webSocketUrl());
            String session = Fixture.newSession();
            org.rollcall.token.TokenGenerator tokens = new org.rollcall.token.TokenGenerator(
                    Fixture.APP.apiKey(), Fixture.APP.secret());
            try (TestClient ann = TestClient.connect(ws, Fixture.APP.apiKey(), session, tokens.generate(session));
                 TestClient bob = TestClient.connect(ws, Fixture.APP.apiKey(), session, tokens.generate(session))) {
                ann.awaitEvent(ConnectionEventsTest.created(bob.id()), Duration.ofSeconds(10));
                bob.close();
                assertEquals("clientDisconnected", ann.awaitEvent(ConnectionEventsTest.destroyed(bob.id()),
                        Duration.ofSeconds(10)).path("reason").asText());
            }
        }
    }
}
