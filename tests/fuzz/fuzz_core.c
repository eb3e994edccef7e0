/*
** fuzz_core.c
** A libFuzzer harness for the C core (core/tsk.h's public API).
**
** The input is one program for everyone: whichever tasklet runs (main or
** one of NT workers) takes the next byte(s) as its next operation, so the
** fuzzer writes the interleaving too.  Operations: create tasklets (on a
** dedicated stack, on a region two slots share, or sliced on the thread
** stack), insert/remove/unblock, schedule/schedule_remove, send/receive
** (convenience calls and the plan layer), run/switch, kill, throw (pending
** or not), nested run(), end (normally or failing), channel preference,
** close/open, schedule_all, block_trap, switch_trap around an operation,
** release of dead tasklets.  When the bytes run out, workers end and main
** kills what is left, releases every tasklet and finishes the scheduler.
**
** After every operation the harness checks the core's invariants:
**   - the run queue is a ring of exactly tsk_runcount() members, prev
**     mirroring next, every member alive, not blocked, scheduled;
**   - each channel's queue runs head..tail by next/prev, every waiter is
**     blocked in the direction of the balance, knows its channel, and
**     balance == +/- the number of waiters; a blocked sender holds its
**     value, a blocked receiver none;
**   - every tasklet is in at most one queue; alive and not queued means
**     paused (unless current); a dead tasklet is in no queue;
**   - dedicated stacks keep their canary;
**   - an operation that fails with an error (not a wake result) changed
**     nothing (queues, balances, flags);
**   - no message is received twice or invented, every receive that
**     succeeds has a value, and (at the end) every send that succeeded was
**     received, or handed to a receiver that was woken with an error
**     before it could take it (counted where it happens).
** A broken invariant aborts (libFuzzer reports a crash).
**
** Build (ci/matrix.sh fuzz-core):
**   clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
**       -Icore -Iarch tests/fuzz/fuzz_core.c core/<every .c> arch/switch.S
**   ./fuzz_core -max_total_time=60 tests/fuzz/corpus
** Without -fsanitize=fuzzer, -DFUZZ_MAIN gives a main() that runs the
** files named on the command line (to replay a crash under gdb).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tsk.h"

#define NT         6            /* worker slots */
#define NC         3            /* channels */
#define STACK_SIZE (128 * 1024) /* dedicated and shared regions */
#define MAXMSG     65536

#define CHECK(c)                                                              \
    do {                                                                      \
        if (!(c)) {                                                           \
            fprintf(stderr, "fuzz_core.c:%d: check failed: %s\n", __LINE__,   \
                    #c);                                                      \
            abort();                                                          \
        }                                                                     \
    } while (0)

static tsk_sched S;
static tsk_tasklet M;
static tsk_tasklet T[NT];
static tsk_channel C[NC];
static tsk_stack DED[NT]; /* one dedicated region per slot */
static tsk_stack SHARED;  /* one region for every slot that picks it */
static char *region_mem[NT + 1];

/* the program */
static const uint8_t *prog;
static size_t prog_len, pc;

static int byte(void) { return pc < prog_len ? prog[pc++] : -1; }
static int arg(int n) {
    int b = byte();
    return b < 0 ? 0 : b % n;
}

/* {======================================================================
** Message ledger.  Values are ids 1..MAXMSG-1 cast to pointers.
** ======================================================================= */
enum { M_NONE, M_SENDING, M_SENT, M_UNSURE, M_RECEIVED, M_DROPPED };
static uint8_t msg[MAXMSG];
static unsigned nmsg;
static unsigned lossy; /* receives woken with an error: each may
                                    have lost one value handed to it */

static uintptr_t new_msg(void) {
    if (nmsg + 1 >= MAXMSG)
        return 0;
    msg[++nmsg] = M_SENDING;
    return nmsg;
}

static void got(uintptr_t v) {
    CHECK(v > 0 && v <= nmsg);   /* sent by someone */
    CHECK(msg[v] != M_RECEIVED); /* not twice */
    CHECK(msg[v] != M_DROPPED);
    CHECK(msg[v] != M_NONE);
    msg[v] = M_RECEIVED;
}
/* }====================================================================== */

/* {======================================================================
** What each tasklet is doing (index NT is main)
** ======================================================================= */
typedef struct {
    int op; /* 'S' sending, 'R' receiving, 0 else */
    int ch;
    uintptr_t value;
    int cancelled; /* taken out of the queue by tsk_unblock */
} Doing;
static Doing doing[NT + 1];

static int slot_of(const tsk_tasklet *t) {
    if (t == &M)
        return NT;
    if (t >= T && t < T + NT)
        return (int)(t - T);
    return -1;
}

static tsk_tasklet *tasklet(int i) { return i == NT ? &M : &T[i]; }
/* }====================================================================== */

/* {======================================================================
** Invariants
** ======================================================================= */
static void check_all(void) {
    int where[NT + 1]; /* 0 none, 1 ring, 2 + channel */
    int i, n, inring = 0;
    tsk_tasklet *cur = tsk_current(&S), *t, *first = NULL;
    CHECK(slot_of(cur) >= 0);
    CHECK(tsk_alive(cur));
    CHECK(!tsk_blocked(cur));
    for (i = 0; i <= NT; i++) {
        where[i] = 0;
        t = tasklet(i);
        if (tsk_scheduled(t) && !tsk_blocked(t)) {
            inring++;
            if (first == NULL)
                first = t;
        }
    }
    /* the ring */
    CHECK(inring == tsk_runcount(&S));
    if (first != NULL) {
        n = 0;
        t = first;
        do {
            int k = slot_of(t);
            CHECK(k >= 0);
            CHECK(where[k] == 0);
            where[k] = 1;
            CHECK(tsk_alive(t) && tsk_scheduled(t) && !tsk_blocked(t));
            CHECK(!tsk_paused(t));
            CHECK(tsk_next(t) != NULL && tsk_next(t)->prev == t);
            CHECK(tsk_prev(tsk_next(t)) == t);
            t = tsk_next(t);
            CHECK(++n <= NT + 1);
        } while (t != first);
        CHECK(n == inring);
    }
    /* the channels */
    for (i = 0; i < NC; i++) {
        tsk_channel *ch = &C[i];
        tsk_tasklet *prev = NULL;
        int count = 0, dir = 0;
        for (t = ch->head; t != NULL; prev = t, t = tsk_next(t)) {
            int k = slot_of(t);
            CHECK(k >= 0);
            CHECK(where[k] == 0);
            where[k] = 2 + i;
            CHECK(tsk_prev(t) == prev);
            CHECK(t->chan == ch);
            CHECK(tsk_alive(t) && tsk_scheduled(t) && !tsk_paused(t));
            CHECK(tsk_blocked(t) == 1 || tsk_blocked(t) == -1);
            if (dir == 0)
                dir = tsk_blocked(t);
            CHECK(tsk_blocked(t) == dir);
            CHECK(doing[k].op == (dir > 0 ? 'S' : 'R') && doing[k].ch == i);
            if (dir > 0)
                CHECK((uintptr_t)t->tempval == doing[k].value);
            else
                CHECK(t->tempval == NULL);
            CHECK(++count <= NT + 1);
        }
        CHECK(ch->tail == prev);
        CHECK(ch->balance == dir * count);
        CHECK(tsk_channel_would_block(ch, 1) == (ch->balance >= 0));
        CHECK(tsk_channel_would_block(ch, -1) == (ch->balance <= 0));
    }
    /* every tasklet */
    for (i = 0; i <= NT; i++) {
        t = tasklet(i);
        if (where[i] == 0) {
            CHECK(!tsk_scheduled(t) && !tsk_blocked(t));
            CHECK(tsk_paused(t) == (tsk_alive(t) && t != cur));
        } else if (where[i] == 1) {
            CHECK(!tsk_blocked(t));
        } else {
            CHECK(tsk_blocked(t) != 0);
        }
        if (!tsk_alive(t))
            CHECK(where[i] == 0);
        if (i < NT)
            CHECK(tsk_stack_check(&DED[i]) == TSK_OK);
    }
    CHECK(tsk_stack_check(&SHARED) == TSK_OK);
}

/* Queues, balances and flags, to check that a failed operation changed
** nothing. */
typedef struct {
    tsk_tasklet *next[NT + 1], *prev[NT + 1];
    uint16_t flags[NT + 1];
    int8_t blocked[NT + 1];
    int balance[NC];
    tsk_tasklet *head[NC];
    int runcount;
    tsk_tasklet *current;
} Snap;

static void snap(Snap *p) {
    int i;
    memset(p, 0, sizeof *p);
    for (i = 0; i <= NT; i++) {
        p->next[i] = tasklet(i)->next;
        p->prev[i] = tasklet(i)->prev;
        p->flags[i] = tasklet(i)->flags;
        p->blocked[i] = tasklet(i)->blocked;
    }
    for (i = 0; i < NC; i++) {
        p->balance[i] = C[i].balance;
        p->head[i] = C[i].head;
    }
    p->runcount = tsk_runcount(&S);
    p->current = tsk_current(&S);
}

/* Results that say "you were woken with this", as opposed to errors of
** an operation that did not happen. */
static int is_wake(tsk_result r) {
    return r == TSK_OK || r == TSK_E_KILLED || r == TSK_E_THROWN ||
        r == TSK_E_FAILED || r == TSK_E_NO_SENDER || r == TSK_E_NO_RECEIVER ||
        r == TSK_E_UNBLOCKED;
}
/* }====================================================================== */

/* {======================================================================
** Operations
** ======================================================================= */
static int body(tsk_tasklet *t, void *arg);

/* plan + switch, as run.c's carry() does (no other threads here) */
static tsk_result carry(tsk_result r, tsk_tasklet *next) {
    CHECK(r != TSK_WAIT); /* no hooks: nobody else could feed us */
    if (r != TSK_OK)
        return r;
    r = tsk_switch(&S, next);
    if (r != TSK_OK) {
        tsk_plan_abort(&S);
        return r;
    }
    return (tsk_result)tsk_take_wake(tsk_current(&S));
}

static tsk_result op_send(int self, int plan) {
    int c = arg(NC);
    uintptr_t v = new_msg();
    tsk_result r;
    tsk_tasklet *cur = tsk_current(&S), *next, *partner = NULL;
    if (v == 0)
        return TSK_OK;
    doing[self].op = 'S';
    doing[self].ch = c;
    doing[self].value = v;
    doing[self].cancelled = 0;
    if (plan) {
        cur->tempval = (void *)v;
        r = tsk_plan_channel(&S, &C[c], 1, &next, &partner);
        if (r == TSK_OK && partner != NULL)
            CHECK(partner->tempval == (void *)v); /* swapped */
        r = carry(r, next);
        cur->tempval = NULL;
    } else {
        r = tsk_send(&S, &C[c], (void *)v);
    }
    doing[self].op = 0;
    if (doing[self].cancelled) {
        /* tsk_unblock took it out of the queue: resumed later, the send
        ** reports TSK_OK although nobody got the value */
        doing[self].cancelled = 0;
        if (msg[v] == M_SENDING)
            msg[v] = M_NONE;
    } else if (r == TSK_OK) {
        /* received, or dropped by a receiver woken with an error, already */
        if (msg[v] == M_SENDING)
            msg[v] = M_SENT;
    } else if (!is_wake(r))
        msg[v] = M_NONE; /* never left */
    else if (msg[v] == M_SENDING)
        msg[v] = M_UNSURE; /* woken: handed over or not */
    return r;
}

static tsk_result op_receive(int self, int plan) {
    int c = arg(NC);
    tsk_result r;
    tsk_tasklet *cur = tsk_current(&S), *next, *partner = NULL;
    void *v = NULL;
    doing[self].op = 'R';
    doing[self].ch = c;
    doing[self].value = 0;
    doing[self].cancelled = 0;
    if (plan) {
        cur->tempval = NULL;
        r = tsk_plan_channel(&S, &C[c], -1, &next, &partner);
        r = carry(r, next);
        v = cur->tempval;
        cur->tempval = NULL;
        if (r == TSK_OK && doing[self].cancelled) {
            CHECK(v == NULL);
        } else if (r == TSK_OK) {
            CHECK(v != NULL);
            got((uintptr_t)v);
        } else if (v != NULL) {
            /* handed a value, then woken with an error before taking it */
            CHECK(is_wake(r));
            CHECK((uintptr_t)v <= nmsg && msg[(uintptr_t)v] != M_RECEIVED);
            msg[(uintptr_t)v] = M_DROPPED;
        }
    } else {
        r = tsk_receive(&S, &C[c], &v);
        if (r == TSK_OK && doing[self].cancelled) {
            CHECK(v == NULL);
        } else if (r == TSK_OK) {
            CHECK(v != NULL);
            got((uintptr_t)v);
        } else if (is_wake(r)) {
            lossy++;
        }
    }
    doing[self].op = 0;
    return r;
}

static tsk_stack *pick_stack(int slot, int kind) {
    switch (kind) {
    case 0: return &DED[slot];
    case 1: return &SHARED;
    default: return NULL; /* the thread's stack, sliced */
    }
}

static tsk_result op_spawn(void) {
    int i = arg(NT), kind = arg(3), ins = arg(2);
    tsk_tasklet *t = &T[i];
    tsk_result r;
    if (tsk_alive(t) || tsk_scheduled(t))
        return tsk_tasklet_init(t, &S, body, (void *)(intptr_t)i, NULL);
    r = tsk_tasklet_init(t, &S, body, (void *)(intptr_t)i,
                         pick_stack(i, kind));
    CHECK(r == TSK_OK);
    CHECK(tsk_alive(t) && tsk_paused(t) && !tsk_started(t));
    doing[i].op = 0;
    if (ins) {
        r = tsk_insert(t);
        CHECK(r == TSK_OK && tsk_scheduled(t));
    }
    return r;
}

static tsk_result do_op(int self, int code);

static tsk_result op_trapped(int self) {
    int code = byte();
    tsk_result r;
    Snap a, b;
    int old;
    if (code < 0 || code % 24 == 20)
        return TSK_OK; /* no nesting: the stacks are small */
    snap(&a);
    old = tsk_switch_trap(&S, 1);
    r = do_op(self, code);
    CHECK(tsk_switch_trap(&S, -1) == old + 1);
    if (r == TSK_E_SWITCH_TRAP) {
        snap(&b);
        CHECK(memcmp(&a, &b, sizeof a) == 0);
    }
    return r;
}

static tsk_result do_op(int self, int code) {
    tsk_tasklet *cur = tsk_current(&S), *next;
    tsk_result r = TSK_OK;
    int i;
    switch (code % 24) {
    case 0: return op_spawn();
    case 1: return tsk_insert(tasklet(arg(NT + 1)));
    case 2: return tsk_remove(tasklet(arg(NT + 1)));
    case 3: return tsk_schedule(&S);
    case 4: return tsk_schedule_remove(&S);
    case 5: return op_send(self, 0);
    case 6: return op_receive(self, 0);
    case 7: return op_send(self, 1);
    case 8: return op_receive(self, 1);
    case 9: return tsk_tasklet_run(&S, tasklet(arg(NT + 1)));
    case 10: return tsk_tasklet_switch(&S, tasklet(arg(NT + 1)));
    case 11: return tsk_kill(&S, tasklet(arg(NT + 1)));
    case 12: { /* throw, pending or not */
        tsk_tasklet *t = tasklet(arg(NT + 1));
        int pending = arg(2);
        r = tsk_plan_throw(&S, t, TSK_E_THROWN, pending, &next);
        return carry(r, next);
    }
    case 13: return tsk_run(&S);
    case 14: return (tsk_result)1000; /* end normally (workers) */
    case 15: return (tsk_result)1001; /* end failing (workers) */
    case 16:
        i = arg(NC);
        tsk_channel_set_preference(&C[i], arg(5) - 2);
        CHECK(C[i].preference >= -1 && C[i].preference <= 1);
        return TSK_OK;
    case 17: C[arg(NC)].flags ^= TSK_CH_CLOSING; return TSK_OK;
    case 18: C[arg(NC)].flags ^= TSK_CH_SCHEDULE_ALL; return TSK_OK;
    case 19: cur->flags ^= TSK_F_BLOCK_TRAP; return TSK_OK;
    case 20: return op_trapped(self);
    case 21: {
        tsk_tasklet *t = tasklet(arg(NT + 1));
        if (tsk_blocked(t))
            doing[slot_of(t)].cancelled = 1;
        return tsk_unblock(t);
    }
    case 22: /* the plan layer for schedule */
        r = tsk_plan_schedule(&S, arg(2), &next);
        return carry(r, next);
    default: { /* release a dead slot's saved stack */
        tsk_tasklet *t = &T[arg(NT)];
        if (!tsk_alive(t) && !tsk_scheduled(t))
            CHECK(tsk_tasklet_release(t) == TSK_OK);
        CHECK(tsk_saved_bytes(t) <= STACK_SIZE || t->stack == NULL ||
              t->stack == &S.thread_stack);
        return TSK_OK;
    }
    }
}

/* One step: run an operation and check what must hold after it. */
static tsk_result step(int self, int code) {
    tsk_result r;
    Snap a, b;
    snap(&a);
    r = do_op(self, code);
    check_all();
    if (!is_wake(r) && r != (tsk_result)1000 && r != (tsk_result)1001) {
        snap(&b);
        if (memcmp(&a, &b, sizeof a) != 0) {
            fprintf(stderr,
                    "operation %d failed with %d (%s) but changed "
                    "the state\n",
                    code % 24, (int)r, tsk_strerror(r));
            abort();
        }
    }
    return r;
}

static int body(tsk_tasklet *t, void *ud) {
    int self = (int)(intptr_t)ud;
    CHECK(tsk_current(&S) == t && slot_of(t) == self);
    if (tsk_take_wake(t) == TSK_E_THROWN)
        return 1; /* thrown into before it started */
    for (;;) {
        tsk_result r;
        int code = byte();
        if (code < 0)
            return 0;
        r = step(self, code);
        CHECK(tsk_current(&S) == t);
        if (r == (tsk_result)1000 || r == TSK_E_KILLED)
            return 0;
        if (r == (tsk_result)1001)
            return 1;
        if (r == TSK_E_THROWN && arg(2))
            return 1; /* "uncaught": goes to main or a watchdog */
    }
}
/* }====================================================================== */

static void setup_regions(void) {
    int i;
    if (region_mem[0] != NULL)
        return;
    for (i = 0; i <= NT; i++) {
        region_mem[i] = malloc(STACK_SIZE);
        CHECK(region_mem[i] != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int i, round;
    unsigned lost = 0;
    setup_regions();
    prog = data;
    prog_len = size;
    pc = 0;
    memset(msg, 0, sizeof msg);
    memset(doing, 0, sizeof doing);
    memset(T, 0, sizeof T);
    nmsg = lossy = 0;
    CHECK(tsk_sched_init(&S, &M, NULL) == TSK_OK);
    for (i = 0; i < NT; i++)
        CHECK(tsk_stack_init(&DED[i], region_mem[i], STACK_SIZE) == TSK_OK);
    CHECK(tsk_stack_init(&SHARED, region_mem[NT], STACK_SIZE) == TSK_OK);
    for (i = 0; i < NC; i++)
        tsk_channel_init(&C[i]);
    check_all();
    /* main runs the program too */
    for (;;) {
        int code = byte();
        if (code < 0)
            break;
        step(NT, code);
        CHECK(tsk_current(&S) == &M);
    }
    /* the end: everyone who is left is killed */
    for (i = 0; i < NC; i++)
        C[i].flags = 0;
    if (tsk_switch_trap(&S, 0) != 0)
        tsk_switch_trap(&S, -tsk_switch_trap(&S, 0));
    M.flags &= (uint16_t)~TSK_F_BLOCK_TRAP;
    for (round = 0; round < 4; round++) {
        int left = 0;
        for (i = 0; i < NT; i++) {
            if (tsk_alive(&T[i])) {
                tsk_result r = tsk_kill(&S, &T[i]);
                CHECK(r == TSK_OK || r == TSK_E_FAILED);
                check_all();
                left++;
            }
        }
        if (left == 0)
            break;
    }
    for (i = 0; i < NT; i++) {
        CHECK(!tsk_alive(&T[i]) && !tsk_scheduled(&T[i]));
        CHECK(tsk_tasklet_release(&T[i]) == TSK_OK);
        CHECK(tsk_saved_bytes(&T[i]) == 0);
    }
    CHECK(tsk_runcount(&S) == 1);
    for (i = 0; i < NC; i++)
        CHECK(C[i].balance == 0 && C[i].head == NULL);
    /* every send that returned OK was received, or dropped where counted */
    for (i = 1; i <= (int)nmsg; i++)
        if (msg[i] == M_SENT)
            lost++;
    CHECK(lost <= lossy);
    tsk_sched_fini(&S);
    return 0;
}

#ifdef FUZZ_MAIN
/* replay: ./fuzz_core_replay FILE... */
int main(int argc, char **argv) {
    int i;
    for (i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        static uint8_t buf[1 << 20];
        size_t n;
        CHECK(f != NULL);
        n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        printf("%s: ok\n", argv[i]);
    }
    return 0;
}
#endif
