/*
 * wake.c - the eventcount (see wake.h): FUTEX_WAIT / FUTEX_WAKE on a sequence word.
 */
#include "core/wake.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Looks before sleeping: a hand-off that comes within a few microseconds costs no system call (and no context
 * switch), one that does not leaves the core to the other threads. */
#define WAKE_SPINS 200

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

void wake_init(struct wake *w)
{
    atomic_init(&w->seq, 0);
    atomic_init(&w->sleepers, 0);
    w->sleeps = 0;
}

bool wake_spin(bool (*ready)(void *user), void *user)
{
    for (int i = 0; i < WAKE_SPINS; i++) {
        if (ready(user))
            return true;
        cpu_relax();
    }
    return ready(user);
}

uint32_t wake_prepare(struct wake *w)
{
    uint32_t t = atomic_load_explicit(&w->seq, memory_order_acquire);
    atomic_fetch_add_explicit(&w->sleepers, 1, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst); /* the announcement before the second look */
    return t;
}

void wake_cancel(struct wake *w)
{
    atomic_fetch_sub_explicit(&w->sleepers, 1, memory_order_relaxed);
}

void wake_sleep(struct wake *w, uint32_t ticket, unsigned timeout_ms)
{
    w->sleeps++;
    struct timespec ts = {.tv_sec = timeout_ms / 1000, .tv_nsec = (long)(timeout_ms % 1000) * 1000000};
    /* returns at once when seq has moved since wake_prepare (EAGAIN), on a wake-up, after the timeout, or
     * spuriously (EINTR) */
    syscall(SYS_futex, &w->seq, FUTEX_WAIT_PRIVATE, ticket, timeout_ms ? &ts : NULL, NULL, 0);
    atomic_fetch_sub_explicit(&w->sleepers, 1, memory_order_relaxed);
}

void wake_wait(struct wake *w, bool (*ready)(void *user), void *user)
{
    while (!wake_spin(ready, user)) {
        uint32_t t = wake_prepare(w);
        if (ready(user)) {
            wake_cancel(w);
            return;
        }
        wake_sleep(w, t, 0);
    }
}

void wake_notify(struct wake *w)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&w->sleepers, memory_order_relaxed) == 0)
        return;
    atomic_fetch_add_explicit(&w->seq, 1, memory_order_release);
    syscall(SYS_futex, &w->seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
