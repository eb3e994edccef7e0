/*
** errors.c
** Texts of the I/O loop's results (and, through tsk_strerror, the core's).
** See LICENSE in the project root.
**
** Where gevent or Python has a message for the same condition, the text
** follows it, so that a binding can raise it unchanged.
*/
#include "tio_int.h"

const char *tio_strerror(int r) {
    switch (r) {
    case TIO_E_BUSY: return "This socket is already used by another tasklet";
    case TIO_E_TIMEOUT: return "timed out";
    case TIO_E_CLOSED: return "File descriptor was closed in another tasklet";
    case TIO_E_BADF: return "Bad file descriptor";
    case TIO_E_SYS: return "a system call of the I/O loop failed";
    case TIO_E_BACKEND: return "this I/O backend is not available here";
    case TIO_E_ARMED: return "the wait is armed already";
    case TIO_E_NO_LOOP: return "this thread's scheduler has no I/O loop";
    }
    return tsk_strerror((tsk_result)r);
}
