package org.rollcall.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The invariant we promise, checked once a scenario settles: every live client's roster equals
 * the server's list of its session minus the client itself, the server lists exactly the live
 * clients, and every client saw exactly-once, in-order events (otc-load's and the Java clients'
 * own reports).
 */
final class Checker {
    private static final Duration ROSTER_TIMEOUT = Duration.ofSeconds(60);
    private static final int DETAILED = 3;

    private Checker() {
    }

    /**
     * Waits until the rosters match the server, up to {@code timeout}, then returns what is still
     * wrong plus every violation the clients reported.
     */
    static List<Violation> settle(Harness harness, Expectation expected, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Violation> problems = compare(harness, expected, false);
        while (!problems.isEmpty() && System.nanoTime() < deadline) {
            pause(); // the state is spread over processes and the server: poll it
            problems = compare(harness, expected, false);
        }
        if (!problems.isEmpty()) {
            problems = compare(harness, expected, true);
        }
        List<Violation> all = new ArrayList<>(problems);
        all.addAll(clientReports(harness));
        all.addAll(order(harness, expected));
        return all;
    }

    /**
     * One order and the right reasons across the otc-load and JS processes and the Java clients,
     * session by session ({@link EventOrder}).
     */
    static List<Violation> order(Harness harness, Expectation expected) {
        List<Violation> problems = new ArrayList<>();
        for (String sessionId : expected.members().keySet()) {
            List<EventOrder.Log> logs = new ArrayList<>();
            for (LoadProcess process : harness.processes()) {
                logs.add(process.seqlog(sessionId, ROSTER_TIMEOUT));
            }
            logs.add(harness.java().seqLog(sessionId));
            problems.addAll(EventOrder.checkWith(sessionId, logs, expected.dropRule(sessionId)));
        }
        return problems;
    }

    /** The violations the clients themselves reported so far. */
    static List<Violation> clientReports(Harness harness) {
        List<Violation> reports = new ArrayList<>();
        for (LoadProcess process : harness.allProcesses()) {
            List<JsonNode> lines = process.lines(line -> LoadProcess.type(line).equals("violation"));
            for (JsonNode line : lines) {
                reports.add(new Violation(process.name() + " client " + line.path("client").asInt() + " "
                        + line.path("own").asText(), line.path("kind").asText(),
                        line.path("detail").asText() + ": " + line.path("conn").asText()));
            }
            long counted = process.progress("violations");
            if (counted > lines.size()) {
                reports.add(new Violation(process.name(), "more_violations",
                        (counted - lines.size()) + " more violations were counted but not printed"));
            }
        }
        reports.addAll(harness.java().violations());
        return reports;
    }

    private static List<Violation> compare(Harness harness, Expectation expected, boolean details) {
        List<Violation> problems = new ArrayList<>();
        Map<String, List<RosterLine>> live = new HashMap<>();
        Map<RosterLine, LoadProcess> owners = new HashMap<>();
        for (LoadProcess process : harness.processes()) {
            for (RosterLine line : process.rosters(false, ROSTER_TIMEOUT)) {
                owners.put(line, process);
                classify(line, live, problems, expected);
            }
        }
        for (RosterLine line : harness.java().rosters(false)) {
            classify(line, live, problems, expected);
        }
        for (String sessionId : expected.members().keySet()) {
            checkSession(harness, expected, sessionId, live.getOrDefault(sessionId, List.of()), owners, details, problems);
        }
        return problems;
    }

    private static void classify(RosterLine line, Map<String, List<RosterLine>> live, List<Violation> problems,
                             Expectation expected) {
        switch (line.state()) {
            case "connected" -> live.computeIfAbsent(line.session(), s -> new ArrayList<>()).add(line);
            case "left" -> {
            }
            case "ended", "failed" -> {
                if (!expected.endedAllowed()) {
                    problems.add(new Violation(line.who(), "client_" + line.state(),
                            "the client is out of its session without having asked"));
                }
            }
            default -> problems.add(new Violation(line.who(), "not_settled", "still " + line.state()));
        }
    }

    private static void checkSession(Harness harness, Expectation expected, String sessionId, List<RosterLine> live,
                                     Map<RosterLine, LoadProcess> owners, boolean details, List<Violation> problems) {
        List<String> listing = harness.admin.connections(sessionId).ids();
        Map<String, WatchProcess.WatchView> watchers = new HashMap<>();
        for (WatchProcess watcher : harness.watchers()) {
            if (watcher.sessionId().equals(sessionId)) {
                watchers.put(watcher.name(), watcher.view());
            }
        }
        int[] detailed = {0};
        Function<RosterLine, RosterLine> withIds = line -> {
            LoadProcess owner = owners.get(line);
            return details && detailed[0]++ < DETAILED && owner != null ? owner.roster(line.client(), ROSTER_TIMEOUT)
                    : line;
        };
        problems.addAll(compareSession(sessionId, listing, expected, live, watchers, withIds));
    }

    /**
     * The invariant for one session, from what the server lists and what the clients hold: no
     * duplicate or unknown ID on the server (a ghost there), no live client missing from it, every
     * roster equal to the list minus the client itself (else its ghosts and missing members, when
     * {@code withIds} can give the IDs), and every otc-watch observer holding exactly the list minus
     * itself, by identity (by count only when it printed no IDs), and listed itself.
     */
    static List<Violation> compareSession(String sessionId, List<String> listing, Expectation expected,
                                          List<RosterLine> live, Map<String, WatchProcess.WatchView> watchers,
                                          Function<RosterLine, RosterLine> withIds) {
        List<Violation> problems = new ArrayList<>();
        Set<String> listed = new HashSet<>(listing);
        String where = "session " + sessionId;
        if (listed.size() != listing.size()) {
            problems.add(new Violation(where, "server_duplicate", "the server lists an ID twice"));
        }
        if (listed.size() != expected.members(sessionId)) {
            problems.add(new Violation(where, "member_count",
                    "server lists " + listed.size() + ", expected " + expected.members(sessionId)));
        }
        Set<String> own = new HashSet<>();
        live.forEach(line -> own.add(line.id()));
        Set<String> unknown = new HashSet<>(listed);
        unknown.removeAll(own);
        if (unknown.size() != expected.untracked(sessionId)) {
            problems.add(new Violation(where, "server_unknown_ids", unknown.size()
                    + " listed IDs belong to no live client (expected " + expected.untracked(sessionId) + "): "
                    + first(unknown)));
        }
        Set<String> missing = new HashSet<>(own);
        missing.removeAll(listed);
        if (!missing.isEmpty()) {
            problems.add(new Violation(where, "missing_on_server",
                    missing.size() + " live clients are not listed: " + first(missing)));
        }
        long sum = RosterHash.sum(listed);
        for (RosterLine line : live) {
            boolean listedSelf = listed.contains(line.id());
            int others = listedSelf ? listed.size() - 1 : listed.size();
            String hash = RosterHash.format(listedSelf ? sum - RosterHash.fnv1a64(line.id()) : sum);
            if (line.count() == others && line.hash().equals(hash)) {
                continue;
            }
            String detail = "holds " + line.count() + ", the server lists " + others + " others";
            RosterLine held = withIds.apply(line);
            if (held != null && held.ids() != null) {
                detail += difference(held, listed);
            }
            problems.add(new Violation(line.who(), "roster_mismatch", detail));
        }
        watchers.forEach((watcher, view) -> {
            if (view.total() != listed.size()) {
                problems.add(new Violation(watcher, "watch_total",
                        "otc-watch counts " + view.total() + ", the server lists " + listed.size()));
            }
            if (view.ids() == null) {
                return;
            }
            if (view.own() == null || !listed.contains(view.own())) {
                problems.add(new Violation(watcher, "watch_not_listed", "its own ID " + view.own()
                        + " is not in the server's list"));
            }
            Set<String> ghosts = new HashSet<>(view.ids());
            ghosts.removeAll(listed);
            Set<String> absent = new HashSet<>(listed);
            absent.removeAll(view.ids());
            absent.remove(view.own());
            if (!ghosts.isEmpty() || !absent.isEmpty()) {
                problems.add(new Violation(watcher, "watch_roster", "ghosts (held, not listed): " + first(ghosts)
                        + "; missing (listed, not held): " + first(absent)));
            }
        });
        return problems;
    }

    private static String difference(RosterLine held, Set<String> listed) {
        Set<String> extra = new HashSet<>(held.ids());
        extra.removeAll(listed);
        Set<String> absent = new HashSet<>(listed);
        held.ids().forEach(absent::remove);
        absent.remove(held.id());
        return "; ghosts (held, not listed): " + first(extra) + "; missing (listed, not held): " + first(absent);
    }

    private static String first(Set<String> ids) {
        List<String> some = ids.stream().sorted().limit(5).toList();
        return some + (ids.size() > some.size() ? " and " + (ids.size() - some.size()) + " more" : "");
    }

    private static void pause() {
        try {
            Thread.sleep(250);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("interrupted");
        }
    }
}
