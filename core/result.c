/*
** result.c
** Texts of result codes.
** See LICENSE in the project root.
**
** Where Stackless has a message for the same condition, the text is
** Stackless's own, so bindings can raise it unchanged.
*/
#include "tsk_int.h"

#if TSK_CHECKED && TSK_HOSTED
#include <stdio.h>
#include <stdlib.h>
#endif

const char *tsk_strerror(tsk_result r) {
    switch (r) {
    case TSK_OK: return "ok";
    case TSK_WAIT: return "waiting for another thread";
    case TSK_PENDING: return "delivered at the tasklet's next switch";
    case TSK_E_DEADLOCK:
        return "Deadlock: the last runnable tasklet cannot be blocked.";
    case TSK_E_BLOCK_TRAP: return "this tasklet does not like to be blocked.";
    case TSK_E_CLOSED: return "Send/receive operation on a closed channel";
    case TSK_E_SWITCH_TRAP: return "switch_trap";
    case TSK_E_DEAD: return "You cannot run an unbound(dead) tasklet";
    case TSK_E_BLOCKED: return "You cannot run a blocked tasklet";
    case TSK_E_REMOVE_BLOCKED: return "You cannot remove a blocked tasklet.";
    case TSK_E_REMOVE_CURRENT: return "The current tasklet cannot be removed.";
    case TSK_E_OTHER_THREAD: return "can't switch to a different thread.";
    case TSK_E_NOMEM: return "out of memory";
    case TSK_E_NO_SENDER:
        return "the main tasklet is receiving without a sender available.";
    case TSK_E_NO_RECEIVER:
        return "the main tasklet is sending without a receiver available.";
    case TSK_E_KILLED: return "the tasklet was killed";
    case TSK_E_THROWN: return "an exception was thrown into the tasklet";
    case TSK_E_STACK_OVERFLOW: return "stack overflow: canary overwritten";
    case TSK_E_INVALID: return "invalid argument";
    case TSK_E_ALIVE: return "tasklet is alive";
    case TSK_E_NO_THREAD: return "tasklet has no thread";
    case TSK_E_FAILED: return "a tasklet failed";
    case TSK_E_UNBLOCKED:
        return "the tasklet was unblocked: nothing was transferred";
    case TSK_E_THROW_DEAD: return "You cannot throw to a dead tasklet";
    case TSK_E_C_STATE: return "tasklet has C state on its stack";
    case TSK_E_RUNNABLE: return "can't (re)bind a runnable tasklet";
    case TSK_E_NOT_ALIVE: return "tasklet is not alive";
    case TSK_E_RECURSIVE: return "Recursive scheduler call due to callbacks!";
    case TSK_E_RECURSIVE_CHAN:
        return "Recursive channel call due to callbacks!";
    case TSK_E_REBIND_CURRENT: return "can't (re)bind the current tasklet";
    case TSK_E_SCHEDULED: return "tasklet is scheduled";
    case TSK_E_UNBIND_MAIN: return "can't unbind the main tasklet";
    case TSK_E_NOT_BOUND: return "the tasklet was not bound to a function";
    case TSK_E_NO_TARGET: return "Target thread isn't initialized";
    case TSK_E_SWITCH_BLOCKED: return "You cannot switch to a blocked tasklet";
    case TSK_E_BAD_THREAD: return "bad thread";
    case TSK_E_FOREIGN:
        return "cannot switch tasklets while a greenlet started inside a "
               "tasklet runs; switch back to the greenlet the tasklets run "
               "in first";
    }
    return "unknown result";
}

#if TSK_CHECKED
void tsk__assert_fail(const char *what, const char *file, int line) {
#if TSK_HOSTED
    fprintf(stderr, "tasklets: %s:%d: invariant failed: %s\n", file, line,
            what);
    abort();
#else
    (void)what;
    (void)file;
    (void)line;
    for (;;) {
    }
#endif
}
#endif
