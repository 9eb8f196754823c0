package org.rollcall.harness;

import java.util.List;
import java.util.Locale;

/** A named scenario: it drives clients against the server, lets it settle and checks. */
interface Scenario {
    String name();

    /** One line for {@code --help} and the docs. */
    String description();

    ScenarioResult run(Harness harness, ScenarioOptions options);

    static List<Scenario> all() {
        return List.of(new JoinStorm(), new Churn(), new KillStorm(), new ServerRestart(), new LargeIdle());
    }

    static Scenario named(String name) {
        return all().stream().filter(s -> s.name().equals(name.toLowerCase(Locale.ROOT))).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no scenario " + name + "; there are "
                        + all().stream().map(Scenario::name).toList()));
    }
}
