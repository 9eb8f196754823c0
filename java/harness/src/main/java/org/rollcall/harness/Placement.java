package org.rollcall.harness;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the server and the load generator run. Pinned (the bench's default): the server on one
 * core, otc-load processes and the harness itself on another, so neither steals the other's CPU
 * and a figure is the server's, not the scheduler's. Shared: the kernel places everything on every
 * core, as the 2026-11 reports did. Applied with {@code taskset} (util-linux).
 */
record Placement(String name, String serverCpus, String clientCpus) {
    static final Placement SHARED = new Placement("shared cores", null, null);

    /** Server on CPU 0, clients on CPU 1; shared when this machine has fewer than 2 CPUs or no taskset. */
    static Placement pinned() {
        if (Runtime.getRuntime().availableProcessors() < 2 || !hasTaskset()) {
            System.out.println("placement: fewer than 2 CPUs or no taskset; server and clients share the cores");
            return SHARED;
        }
        int last = Runtime.getRuntime().availableProcessors() - 1;
        return new Placement("pinned", "0", last == 1 ? "1" : "1-" + last);
    }

    boolean isPinned() {
        return serverCpus != null;
    }

    /** The command that starts a client process: {@code taskset -c CPUS} first when pinned. */
    List<String> clientCommand(List<String> command) {
        return prefixed(clientCpus, command);
    }

    List<String> serverCommand(List<String> command) {
        return prefixed(serverCpus, command);
    }

    /** Moves a running process, every thread of it, to its CPUs under this placement (all CPUs when shared). */
    void moveServer(long pid) {
        move(pid, serverCpus);
    }

    void moveClient(long pid) {
        move(pid, clientCpus);
    }

    String describe() {
        return isPinned() ? "pinned with taskset: server on CPU " + serverCpus + ", otc-load processes and the "
                + "harness on CPU " + clientCpus : "shared: server, otc-load and harness on every core";
    }

    private static List<String> prefixed(String cpus, List<String> command) {
        if (cpus == null) {
            return command;
        }
        List<String> out = new ArrayList<>(List.of("taskset", "-c", cpus));
        out.addAll(command);
        return out;
    }

    private static void move(long pid, String cpus) {
        String all = "0-" + (Runtime.getRuntime().availableProcessors() - 1);
        run("taskset", "-a", "-p", "-c", cpus != null ? cpus : all, Long.toString(pid));
    }

    private static boolean hasTaskset() {
        try {
            return new ProcessBuilder("taskset", "-V").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new HarnessException(String.join(" ", command) + " failed: " + out.strip());
            }
        } catch (IOException e) {
            throw new HarnessException("cannot run taskset: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("interrupted");
        }
    }
}
