/* A small pull parser for JSON (RFC 8259) over a buffer that it may write to:
 * strings are unescaped in place, nothing is allocated, nesting is bounded.
 * The protocol's messages are decoded straight from it (wire.c), so a frame
 * costs its bytes and no tree (a 16 MiB array of zeros used to cost 640 MiB
 * as a cJSON tree). */

#include "internal.h"

#include <string.h>

#define MAX_DEPTH 64

void json_init(struct json* j, char* text, size_t length) {
  j->p = text;
  j->end = text + length;
}

static void skip_space(struct json* j) {
  json_peek(j);
}

bool json_at_end(struct json* j) {
  skip_space(j);
  return j->p == j->end;
}

/* Inline, as json_peek: called for every bracket, colon and comma. */
static inline __attribute__((always_inline)) bool take(struct json* j, char c) {
  if (json_peek(j) != c) {
    return false;
  }
  j->p++;
  return true;
}

static bool take_word(struct json* j, const char* word, size_t length) {
  if ((size_t)(j->end - j->p) < length || memcmp(j->p, word, length) != 0) {
    return false;
  }
  j->p += length;
  return true;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool read_hex4(struct json* j, unsigned* value) {
  if (j->end - j->p < 4) {
    return false;
  }
  *value = 0;
  for (int i = 0; i < 4; i++) {
    int digit = hex_digit(j->p[i]);
    if (digit < 0) {
      return false;
    }
    *value = *value << 4 | (unsigned)digit;
  }
  j->p += 4;
  return true;
}

static char* put_utf8(char* out, unsigned code) {
  if (code < 0x80) {
    *out++ = (char)code;
  } else if (code < 0x800) {
    *out++ = (char)(0xc0 | code >> 6);
    *out++ = (char)(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    *out++ = (char)(0xe0 | code >> 12);
    *out++ = (char)(0x80 | (code >> 6 & 0x3f));
    *out++ = (char)(0x80 | (code & 0x3f));
  } else {
    *out++ = (char)(0xf0 | code >> 18);
    *out++ = (char)(0x80 | (code >> 12 & 0x3f));
    *out++ = (char)(0x80 | (code >> 6 & 0x3f));
    *out++ = (char)(0x80 | (code & 0x3f));
  }
  return out;
}

/* Characters that end a run of plain string characters: the quote, the
 * backslash and the control characters (which JSON forbids in strings). */
static const bool string_stop[256] = {
    [0] = 1, [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [6] = 1, [7] = 1,
    [8] = 1, [9] = 1, [10] = 1, [11] = 1, [12] = 1, [13] = 1, [14] = 1, [15] = 1,
    [16] = 1, [17] = 1, [18] = 1, [19] = 1, [20] = 1, [21] = 1, [22] = 1, [23] = 1,
    [24] = 1, [25] = 1, [26] = 1, [27] = 1, [28] = 1, [29] = 1, [30] = 1, [31] = 1,
    ['"'] = 1, ['\\'] = 1,
};

/* Skips 8 bytes at a time while none of them may end a plain run (a quote, a
 * backslash, a control character); the byte loop finds the exact stop. IDs,
 * data and keys are plain runs: this is most of a frame's bytes. */
#define BYTES(b) (UINT64_C(0x0101010101010101) * (b))
static inline bool word_may_stop(uint64_t w) {
  uint64_t quote = w ^ BYTES('"');
  uint64_t backslash = w ^ BYTES('\\');
  uint64_t found = ((quote - BYTES(1)) & ~quote) | ((backslash - BYTES(1)) & ~backslash) |
                   ((w - BYTES(0x20)) & ~w);
  return (found & BYTES(0x80)) != 0;
}

static const char* plain_run_end(const char* p, const char* end) {
  while (end - p >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    if (word_may_stop(w)) {
      break;
    }
    p += 8;
  }
  return p;
}

/* One escape after the backslash, written at `*out` (never past the input
 * read so far: every escape is at least as long as what it decodes to). */
static bool unescape(struct json* j, char** out) {
  if (j->p >= j->end) {
    return false;
  }
  char c = *j->p++;
  switch (c) {
    case '"': case '\\': case '/': *(*out)++ = c; return true;
    case 'b': *(*out)++ = '\b'; return true;
    case 'f': *(*out)++ = '\f'; return true;
    case 'n': *(*out)++ = '\n'; return true;
    case 'r': *(*out)++ = '\r'; return true;
    case 't': *(*out)++ = '\t'; return true;
    case 'u': break;
    default: return false;
  }
  unsigned code;
  if (!read_hex4(j, &code) || code == 0) {
    return false; /* NUL would cut a C string short: refused */
  }
  if (code >= 0xdc00 && code <= 0xdfff) {
    return false; /* a lone low surrogate */
  }
  if (code >= 0xd800 && code <= 0xdbff) {
    unsigned low;
    if (!take_word(j, "\\u", 2) || !read_hex4(j, &low) || low < 0xdc00 || low > 0xdfff) {
      return false;
    }
    code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
  }
  *out = put_utf8(*out, code);
  return true;
}

/* A string, unescaped in place when `decode`; `*text` is not NUL-terminated. */
static bool string_value(struct json* j, struct json_string* text, bool decode) {
  if (!take(j, '"')) {
    return false;
  }
  char* start = j->p;
  char* out = j->p;
  while (j->p < j->end) {
    /* The common case first: a run of plain characters, copied only after
     * an escape has shifted the output. */
    if (out == j->p) {
      j->p = (char*)plain_run_end(j->p, j->end);
      while (j->p < j->end && !string_stop[(unsigned char)*j->p]) {
        j->p++;
      }
      out = j->p;
      if (j->p == j->end) {
        break;
      }
    }
    char c = *j->p;
    if (c == '"') {
      j->p++;
      if (text) {
        text->text = start;
        text->length = (size_t)(out - start);
      }
      return true;
    }
    if ((unsigned char)c < 0x20) {
      return false;
    }
    if (c == '\\') {
      j->p++;
      if (decode) {
        if (!unescape(j, &out)) {
          return false;
        }
      } else {
        char scratch[4];
        char* sink = scratch;
        if (!unescape(j, &sink)) {
          return false;
        }
      }
      continue;
    }
    if (decode && out != j->p) {
      *out = c;
    }
    out++;
    j->p++;
  }
  return false;
}

bool json_string(struct json* j, struct json_string* text) {
  return string_value(j, text, true);
}

bool json_number(struct json* j, int64_t* value, bool* integral) {
  skip_space(j);
  bool negative = j->p < j->end && *j->p == '-';
  if (negative) {
    j->p++;
  }
  if (j->p >= j->end || *j->p < '0' || *j->p > '9') {
    return false;
  }
  /* Integers beyond 2^53 are refused, as they were when a double carried them. */
  const int64_t limit = INT64_C(9007199254740992);
  int64_t magnitude = 0;
  bool fits = true;
  if (*j->p == '0') {
    j->p++;
  } else {
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
      if (magnitude > limit / 10) {
        fits = false;
      } else {
        magnitude = magnitude * 10 + (*j->p - '0');
      }
      j->p++;
    }
  }
  bool fraction = false;
  if (j->p < j->end && *j->p == '.') {
    fraction = true;
    j->p++;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') {
      return false;
    }
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
      j->p++;
    }
  }
  if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
    fraction = true;
    j->p++;
    if (j->p < j->end && (*j->p == '+' || *j->p == '-')) {
      j->p++;
    }
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') {
      return false;
    }
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
      j->p++;
    }
  }
  *integral = fits && !fraction && magnitude <= limit;
  *value = negative ? -magnitude : magnitude;
  return true;
}

static bool skip_value(struct json* j, int depth);

static bool skip_container(struct json* j, int depth, char close, bool keys) {
  if (depth >= MAX_DEPTH) {
    return false;
  }
  j->p++; /* the opening bracket */
  if (take(j, close)) {
    return true;
  }
  do {
    if (keys && (!string_value(j, NULL, false) || !take(j, ':'))) {
      return false;
    }
    if (!skip_value(j, depth + 1)) {
      return false;
    }
  } while (take(j, ','));
  return take(j, close);
}

static bool skip_value(struct json* j, int depth) {
  int64_t number;
  bool integral;
  switch (json_peek(j)) {
    case '{': return skip_container(j, depth, '}', true);
    case '[': return skip_container(j, depth, ']', false);
    case '"': return string_value(j, NULL, false);
    case 't': return take_word(j, "true", 4);
    case 'f': return take_word(j, "false", 5);
    case 'n': return take_word(j, "null", 4);
    default: return json_number(j, &number, &integral);
  }
}

bool json_skip(struct json* j) {
  return skip_value(j, 1); /* inside the message's object */
}

bool json_bool(struct json* j, bool* value) {
  char c = json_peek(j);
  if (c == 't' && take_word(j, "true", 4)) {
    *value = true;
    return true;
  }
  if (c == 'f' && take_word(j, "false", 5)) {
    *value = false;
    return true;
  }
  return false;
}

int json_container_next(struct json* j, struct json_iter* it, struct json_string* key) {
  char close = it->object ? '}' : ']';
  if (!it->started) {
    it->started = true;
    if (!take(j, it->object ? '{' : '[')) {
      return -1;
    }
    if (take(j, close)) {
      return 0;
    }
  } else if (!take(j, ',')) {
    return take(j, close) ? 0 : -1;
  }
  if (it->object && (!json_string(j, key) || !take(j, ':'))) {
    return -1;
  }
  return 1;
}

bool json_string_is(const struct json_string* text, const char* literal) {
  size_t length = strlen(literal);
  return text->length == length && memcmp(text->text, literal, length) == 0;
}
