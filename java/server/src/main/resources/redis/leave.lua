-- ARGV: P, log_max, id, reason, node (the connection must still be on it) -> {1} | {0}
return {leave(ARGV[1], ARGV[3], ARGV[4], ARGV[5], ARGV[2]) and 1 or 0}
