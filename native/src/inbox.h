#ifndef OTC_INBOX_H
#define OTC_INBOX_H

/* Messages read ahead of the application (inbox.c). Library thread only.
 *
 * Why: the server pings and takes a late pong for a lost client. A client
 * that applied each read's messages before reading again left the ping of a
 * busy socket behind everything the kernel held before it (megabytes in a
 * join storm of thousands), so a live client answered seconds late and was
 * dropped: a reconnect storm. So each socket is read as soon as it is
 * readable, pings are answered as they are read, and the text messages wait
 * here; the loop applies them, in order per socket and in turn across
 * sockets, for at most a few milliseconds between two reads of all sockets.
 * A socket with nothing waiting has its messages applied at once, as long as
 * the loop's round still has time: the usual path copies nothing. */

#include <stdbool.h>
#include <stddef.h>

struct inbox_message;

struct inbox {
  struct inbox_message* head;
  struct inbox_message* tail;
  size_t bytes; /* the waiting messages' text */
  /* In the loop's list of inboxes with messages, in turn. */
  struct inbox* prev;
  struct inbox* next;
  /* Applies one message; `text` may be rewritten during the call. The owner
   * may clear this inbox in it. */
  void (*apply)(struct inbox* box, char* text, size_t length);
};

/* The loop's handles (on otc_g.loop, before the library thread starts); they
 * are closed with every other handle when the loop stops. */
void inbox_start(void);

/* Whether a message that just came may be applied now: none waits before it
 * and this round of the loop has time left. */
bool inbox_may_apply_now(const struct inbox* box);
/* Queues a copy of the message; false when out of memory. */
bool inbox_push(struct inbox* box, const char* text, size_t length);
/* Queues a message in a buffer from malloc, which the inbox then owns (a
 * big message is not copied); false when out of memory (the buffer is then
 * still the caller's). */
bool inbox_push_owned(struct inbox* box, char* text, size_t length);
/* Applies every waiting message now, in order (the socket ends: what came
 * before its end is applied before the end is told). */
void inbox_drain(struct inbox* box);
/* Drops the waiting messages (the owner is gone). */
void inbox_clear(struct inbox* box);

#endif /* OTC_INBOX_H */
