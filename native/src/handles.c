/* Session handles. The application never holds a pointer to a session: its
 * otc_session* is an odd integer that names a slot of the handle table and
 * the generation of the session in it. Checking a handle never touches
 * freed memory, and a slot reused by a later session has a new generation,
 * so a stale handle always gets OTC_ERROR_INVALID_HANDLE (before, the registry
 * kept raw pointers and a new session usually reused the freed address). */

#include "internal.h"

#include <stdlib.h>

#define NO_SLOT UINT32_MAX

#if UINTPTR_MAX > 0xffffffffu
/* generation in the high 32 bits, slot above the tag bit. */
#define SLOT_BITS 31
#define GENERATION_SHIFT 32
#define GENERATION_MASK 0xffffffffu
#else
/* 32-bit: 19 bits of slot (524,287 sessions), 12 of generation. */
#define SLOT_BITS 19
#define GENERATION_SHIFT 20
#define GENERATION_MASK 0xfffu
#endif
#define MAX_SLOTS ((uint32_t)1 << SLOT_BITS)

static otc_session* encode(uint32_t slot, uint32_t generation) {
  uintptr_t value = ((uintptr_t)(generation & GENERATION_MASK) << GENERATION_SHIFT) |
                    ((uintptr_t)slot << 1) | 1u; /* odd: never a real object's address */
  return (otc_session*)value;
}

static bool grow(void) {
  uint32_t capacity = otc_g.slot_capacity ? otc_g.slot_capacity * 2 : 64;
  if (capacity > MAX_SLOTS) {
    capacity = MAX_SLOTS;
  }
  if (capacity <= otc_g.slot_capacity) {
    return false;
  }
  struct handle_slot* grown = otc_realloc(otc_g.slots, capacity * sizeof *grown);
  if (!grown) {
    return false;
  }
  otc_g.slots = grown;
  otc_g.slot_capacity = capacity;
  return true;
}

bool handle_add(struct session* session) {
  uint32_t slot = otc_g.free_slot;
  if (otc_g.slots == NULL) {
    slot = NO_SLOT; /* the table was released: nothing is free */
  }
  if (slot == NO_SLOT) {
    if (otc_g.slot_count == otc_g.slot_capacity && !grow()) {
      return false;
    }
    slot = otc_g.slot_count++;
  } else {
    otc_g.free_slot = otc_g.slots[slot].next_free;
  }
  /* One counter for all slots, never reset: a handle from before an
   * otc_destroy() does not match a session after the next otc_init(). */
  uint32_t generation = ++otc_g.next_generation & GENERATION_MASK;
  if (generation == 0) {
    generation = ++otc_g.next_generation & GENERATION_MASK;
  }
  otc_g.slots[slot].session = session;
  otc_g.slots[slot].generation = generation;
  otc_g.slots[slot].next_free = NO_SLOT;
  otc_g.session_count++;
  session->handle = encode(slot, generation);
  return true;
}

struct session* handle_resolve(const otc_session* handle) {
  uintptr_t value = (uintptr_t)handle;
  if ((value & 1u) == 0) {
    return NULL; /* NULL, or a pointer that libotc never handed out */
  }
  uint32_t slot = (uint32_t)((value >> 1) & (MAX_SLOTS - 1));
  uint32_t generation = (uint32_t)(value >> GENERATION_SHIFT) & GENERATION_MASK;
  if (slot >= otc_g.slot_count || otc_g.slots[slot].session == NULL ||
      otc_g.slots[slot].generation != generation ||
      otc_g.slots[slot].session->handle != handle) {
    return NULL;
  }
  return otc_g.slots[slot].session;
}

void handle_remove(struct session* session) {
  uintptr_t value = (uintptr_t)session->handle;
  uint32_t slot = (uint32_t)((value >> 1) & (MAX_SLOTS - 1));
  if (slot < otc_g.slot_count && otc_g.slots[slot].session == session) {
    otc_g.slots[slot].session = NULL;
    otc_g.slots[slot].next_free = otc_g.free_slot;
    otc_g.free_slot = slot;
    otc_g.session_count--;
  }
}

struct session* handle_any(void) {
  for (uint32_t i = 0; i < otc_g.slot_count; i++) {
    if (otc_g.slots[i].session) {
      return otc_g.slots[i].session;
    }
  }
  return NULL;
}

void handle_table_release(void) {
  if (otc_g.session_count == 0) {
    free(otc_g.slots);
    otc_g.slots = NULL;
    otc_g.slot_count = otc_g.slot_capacity = 0;
    otc_g.free_slot = NO_SLOT;
  }
}
