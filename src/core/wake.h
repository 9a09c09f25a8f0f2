/*
 * wake.h - sleep until another thread says something changed (an eventcount on a futex).
 *
 * A thread that finds nothing to do (its input ring empty, its output ring full) spins a little, then sleeps on its
 * own `struct wake`; a thread that makes it something to do (pushes to that ring, pops from it) calls wake_notify()
 * on it, which costs a fence and one load while nobody sleeps and a FUTEX_WAKE only when the waiter does.
 *
 *   waiter:   for (;;) { if (ready()) break;  uint32_t t = wake_prepare(w);  if (ready()) { wake_cancel(w); break; }
 *                        wake_sleep(w, t, 0); }
 *   notifier: publish (a ring's release store), then wake_notify(w)
 *
 * No wake-up is lost: wake_prepare announces the sleeper (sequentially consistent) before the waiter looks again,
 * and wake_notify fences after the publication before it looks for sleepers, so either the waiter's second look sees
 * the new state or the notifier sees the sleeper and moves `seq`, on which FUTEX_WAIT then does not sleep.  A
 * spurious wake-up only costs one more look.  The waiter side is used by one thread per wake (its owner); any
 * number of threads may notify.
 */
#ifndef MEDSENTRY_CORE_WAKE_H
#define MEDSENTRY_CORE_WAKE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct wake {
    _Alignas(64) _Atomic uint32_t seq; /* the futex word: moved by a notifier that saw a sleeper */
    _Atomic uint32_t sleepers;
    uint64_t sleeps; /* owner only: how often it slept (a figure for tuning) */
};

void wake_init(struct wake *w);
/* Waiter: spin briefly on ready(user) (true: return true at once); false means: call wake_prepare and look again. */
bool wake_spin(bool (*ready)(void *user), void *user);
uint32_t wake_prepare(struct wake *w);
void wake_cancel(struct wake *w);
/* timeout_ms: 0 = until notified */
void wake_sleep(struct wake *w, uint32_t ticket, unsigned timeout_ms);
/* Waiter, all in one: returns once ready(user) is true. */
void wake_wait(struct wake *w, bool (*ready)(void *user), void *user);
/* Notifier: after the state change is published. */
void wake_notify(struct wake *w);

#endif
