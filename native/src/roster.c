#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* A chained hash map from connection ID to connection, sized to keep at most
 * one entry per bucket on average. */

/* 8 bytes a step (IDs are 20-40 bytes; FNV-1a's byte loop was 5 % of an
 * event storm), then splitmix64's finalizer, so the low bits that pick the
 * bucket depend on every byte. */
size_t roster_hash(const char* id, size_t length) {
  uint64_t hash = UINT64_C(0x9e3779b97f4a7c15) ^ length;
  while (length >= 8) {
    uint64_t word;
    memcpy(&word, id, 8);
    hash = (hash ^ word) * UINT64_C(0xbf58476d1ce4e5b9);
    hash ^= hash >> 29;
    id += 8;
    length -= 8;
  }
  if (length > 0) {
    uint64_t word = 0;
    memcpy(&word, id, length);
    hash = (hash ^ word) * UINT64_C(0xbf58476d1ce4e5b9);
  }
  hash ^= hash >> 30;
  hash *= UINT64_C(0xbf58476d1ce4e5b9);
  hash ^= hash >> 27;
  hash *= UINT64_C(0x94d049bb133111eb);
  hash ^= hash >> 31;
  return (size_t)hash;
}

void roster_init(struct roster* roster) {
  roster->buckets = NULL;
  roster->bucket_count = 0;
  roster->count = 0;
}

void roster_clear(struct roster* roster) {
  otc_connection* c = roster_take_all(roster);
  while (c) {
    otc_connection* next = c->next;
    connection_free(c);
    c = next;
  }
}

static otc_connection** bucket_of(const struct roster* roster, size_t hash) {
  return &roster->buckets[hash & (roster->bucket_count - 1)];
}

static bool has_id(const otc_connection* c, size_t hash, const char* id, size_t length) {
  return c->id_hash == hash && c->id_length == length && memcmp(connection_id(c), id, length) == 0;
}

otc_connection* roster_find(const struct roster* roster, const char* id, size_t length) {
  return roster->count == 0 ? NULL : roster_find_hashed(roster, id, length, roster_hash(id, length));
}

otc_connection* roster_find_hashed(const struct roster* roster, const char* id, size_t length,
                                   size_t hash) {
  if (roster->count == 0) {
    return NULL;
  }
  for (otc_connection* c = *bucket_of(roster, hash); c; c = c->next) {
    if (has_id(c, hash, id, length)) {
      return c;
    }
  }
  return NULL;
}

static bool grow(struct roster* roster) {
  size_t new_count = roster->bucket_count ? roster->bucket_count * 2 : 16;
  otc_connection** old = roster->buckets;
  size_t old_count = roster->bucket_count;
  roster->buckets = otc_calloc(new_count, sizeof *roster->buckets);
  if (!roster->buckets) {
    roster->buckets = old;
    return false;
  }
  roster->bucket_count = new_count;
  for (size_t i = 0; i < old_count; i++) {
    otc_connection* c = old[i];
    while (c) {
      otc_connection* next = c->next;
      otc_connection** bucket = bucket_of(roster, c->id_hash);
      c->next = *bucket;
      *bucket = c;
      c = next;
    }
  }
  free(old);
  return true;
}

bool roster_add(struct roster* roster, otc_connection* connection) {
  if (roster->count >= roster->bucket_count && !grow(roster)) {
    return false;
  }
  otc_connection** bucket = bucket_of(roster, connection->id_hash);
  connection->next = *bucket;
  *bucket = connection;
  roster->count++;
  return true;
}

otc_connection* roster_remove(struct roster* roster, const char* id, size_t length) {
  return roster->count == 0 ? NULL
                            : roster_remove_hashed(roster, id, length, roster_hash(id, length));
}

otc_connection* roster_remove_hashed(struct roster* roster, const char* id, size_t length,
                                     size_t hash) {
  if (roster->count == 0) {
    return NULL;
  }
  for (otc_connection** link = bucket_of(roster, hash); *link; link = &(*link)->next) {
    otc_connection* c = *link;
    if (has_id(c, hash, id, length)) {
      *link = c->next;
      c->next = NULL;
      roster->count--;
      return c;
    }
  }
  return NULL;
}

otc_connection* roster_take_all(struct roster* roster) {
  otc_connection* list = NULL;
  for (size_t i = 0; i < roster->bucket_count; i++) {
    otc_connection* c = roster->buckets[i];
    while (c) {
      otc_connection* next = c->next;
      c->next = list;
      list = c;
      c = next;
    }
  }
  free(roster->buckets);
  roster_init(roster);
  return list;
}
