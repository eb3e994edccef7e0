/*
** test_arch.c
** tsk__arch_switch on its own (core/tsk_arch.h), without the scheduler.
**
** Two contexts, main and "co" (on a static stack), hand control back and
** forth through the raw transfer.  Each side enters it through
** tsk_test_regs2 (regs_<arch>.S), which loads every callee-saved register
** with its own seed and calls tsk__arch_switch directly: no C frame sits in
** between to save a register the transfer forgot, so any register it does
** not preserve shows up as the index tsk_test_regs2 returns.
*/
#include <stdint.h>
#include "check.h"
#include "tsk_arch.h"

/* regs_<arch>.S; weak, so a target without it still runs the rest */
extern int tsk_test_regs2(void *(*fn)(tsk__arch_cb, void *), tsk__arch_cb a0,
                          void *a1, unsigned long seed) __attribute__((weak));

/* stack alignment the ABI wants at a call */
#if defined(__arm__)
#define CALL_ALIGN 8
#else
#define CALL_ALIGN 16
#endif

static unsigned char co_stack[CHECK_STACK_SIZE] __attribute__((aligned(16)));

static struct {
    void **save_to;   /* where SAVE stores the saved sp */
    void *next;       /* what SAVE returns (sp, tagged sp or NULL) */
    void *restore_sp; /* the sp RESTORE must be given */
    void *main_sp;    /* main's saved frame */
    void *co_sp;      /* co's saved frame */
    int nsave, nrestore, nstart;
    int co_regs; /* co's register check after it was resumed */
    int co_done;
    char marker; /* RESTORE returns &X.marker */
} X;

#define SEED_MAIN1 0x11111110ul
#define SEED_MAIN2 0x22222221ul
#define SEED_CO    0x33333332ul

static void check_aligned(void *sp) {
    /* an aligned local is misplaced when the incoming sp is misaligned */
    _Alignas(CALL_ALIGN) unsigned char probe[CALL_ALIGN];
    unsigned char *volatile p = probe; /* hide probe's alignment */
    CHECK_EQ((uintptr_t)sp % CALL_ALIGN, 0);
    CHECK_EQ((uintptr_t)p % CALL_ALIGN, 0);
}

static void co_main(void);

static void *cb(void *ctx, void *sp, int op) {
    CHECK_PTR(ctx, &X);
    check_aligned(sp);
    switch (op) {
    case TSK__ARCH_SAVE:
        X.nsave++;
        *X.save_to = sp;
        return X.next;
    case TSK__ARCH_RESTORE:
        X.nrestore++;
        CHECK_PTR(sp, X.restore_sp);
        return &X.marker;
    case TSK__ARCH_START:
        X.nstart++;
        CHECK_PTR(sp, co_stack + sizeof co_stack - 64);
        co_main();
        CHECK(0); /* START never returns */
    }
    CHECK(0);
    return NULL;
}

/* Enter the transfer, through tsk_test_regs2 when there is one. */
static int enter(unsigned long seed) {
    if (tsk_test_regs2 != NULL)
        return tsk_test_regs2(tsk__arch_switch, cb, &X, seed);
    CHECK_PTR(tsk__arch_switch(cb, &X), &X.marker);
    return 0;
}

/* co: suspend once, check its registers when resumed, then leave */
static void co_main(void) {
    X.save_to = &X.co_sp; /* co -> main */
    X.next = X.main_sp;
    X.restore_sp = X.main_sp;
    X.co_regs = enter(SEED_CO);
    X.co_done = 1;
    X.save_to = &X.co_sp; /* co -> main, for good */
    X.next = X.main_sp;
    X.restore_sp = X.main_sp;
    tsk__arch_switch(cb, &X);
    CHECK(0); /* never resumed */
}

static void test_pingpong(void) {
    if (tsk_test_regs2 == NULL)
        printf("# no tsk_test_regs2 for this target: registers not checked\n");
    memset(&X, 0, sizeof X);
    /* main -> new co */
    X.save_to = &X.main_sp;
    X.next = co_stack + sizeof co_stack - 64 + 1;
    CHECK_EQ(enter(SEED_MAIN1), 0);
    CHECK_EQ(X.nsave, 2);
    CHECK_EQ(X.nstart, 1);
    CHECK_EQ(X.nrestore, 1);
    CHECK(!X.co_done);
    /* main -> suspended co */
    X.save_to = &X.main_sp;
    X.next = X.co_sp;
    X.restore_sp = X.co_sp;
    CHECK_EQ(enter(SEED_MAIN2), 0);
    CHECK(X.co_done);
    CHECK_EQ(X.co_regs, 0);
    CHECK_EQ(X.nsave, 4);
    CHECK_EQ(X.nstart, 1);
    CHECK_EQ(X.nrestore, 3);
}

/* SAVE returning NULL aborts: the transfer returns NULL at once */
static void test_abort(void) {
    void *dummy;
    memset(&X, 0, sizeof X);
    X.save_to = &dummy;
    X.next = NULL;
    CHECK_PTR(tsk__arch_switch(cb, &X), NULL);
    CHECK_EQ(X.nsave, 1);
    CHECK_EQ(X.nrestore, 0);
    if (tsk_test_regs2 != NULL)
        CHECK_EQ(tsk_test_regs2(tsk__arch_switch, cb, &X, SEED_MAIN1), 0);
    CHECK_EQ(X.nsave, tsk_test_regs2 != NULL ? 2 : 1);
}

/* plain C callers: the transfer returns what RESTORE returned, and the
** saved frame lies below the caller's own frame */
static void test_return_value(void) {
    memset(&X, 0, sizeof X);
    X.save_to = &X.main_sp;
    X.next = co_stack + sizeof co_stack - 64 + 1;
    CHECK_PTR(tsk__arch_switch(cb, &X), &X.marker);
    CHECK((char *)X.main_sp < (char *)__builtin_frame_address(0));
    X.save_to = &X.main_sp;
    X.next = X.co_sp;
    X.restore_sp = X.co_sp;
    CHECK_PTR(tsk__arch_switch(cb, &X), &X.marker);
    CHECK(X.co_done);
}

CHECK_MAIN("test_arch", CHECK_CASE(test_pingpong), CHECK_CASE(test_abort),
           CHECK_CASE(test_return_value))
