package org.rollcall;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Captures what is logged meanwhile: slf4j-simple writes to System.err as it is at each call. */
final class StandardError {
    private StandardError() {
    }

    interface Action {
        void run() throws Exception;
    }

    /** What the action wrote to System.err; passed on to the real one as well. */
    static String capture(Action action) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        original.print(text);
        return text;
    }
}
