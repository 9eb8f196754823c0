package org.rollcall.harness;

/** A broken promise, with where it was seen and enough detail to look into it. */
record Violation(String where, String kind, String detail) {
    @Override
    public String toString() {
        return kind + " at " + where + ": " + detail;
    }
}
