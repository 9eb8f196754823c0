export const fixture = "test";
