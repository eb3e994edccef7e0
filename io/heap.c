/*
** heap.c
** Deadlines: a binary min-heap of waits ordered by (when, seq).
** See LICENSE in the project root.
**
** Why a heap and not a timing wheel: a heap is exact (no tick), costs
** O(log n) to arm and to cancel (each wait keeps its index, 'slot'), and
** its top gives the poller's timeout at once; a wheel wins only when
** almost every timer is cancelled long before it fires, at the price of
** a tick or of cascading levels.  'seq' breaks ties, so waits with the
** same deadline fire in the order they were armed.
*/
#include <stdlib.h>
#include <string.h>
#include "tio_int.h"

int tio__grow(void **p, size_t sz, size_t *cap, size_t need) {
    size_t n = *cap ? *cap : 8;
    void *q;
    if (need <= *cap)
        return 0;
    while (n < need)
        n *= 2;
    q = realloc(*p, n * sz);
    if (q == NULL)
        return -1;
    memset((char *)q + *cap * sz, 0, (n - *cap) * sz);
    *p = q;
    *cap = n;
    return 0;
}

static int before(const tio_wait *a, const tio_wait *b) {
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void put(tio_loop *l, size_t i, tio_wait *w) {
    l->heap[i] = w;
    w->slot = i + 1;
}

static void sift_up(tio_loop *l, size_t i, tio_wait *w) {
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!before(w, l->heap[up]))
            break;
        put(l, i, l->heap[up]);
        i = up;
    }
    put(l, i, w);
}

static void sift_down(tio_loop *l, size_t i, tio_wait *w) {
    size_t n = l->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(l->heap[c + 1], l->heap[c]))
            c++;
        if (!before(l->heap[c], w))
            break;
        put(l, i, l->heap[c]);
        i = c;
    }
    put(l, i, w);
}

int tio__heap_push(tio_loop *l, tio_wait *w) {
    if (tio__grow((void **)&l->heap, sizeof *l->heap, &l->capheap,
                  l->nheap + 1) != 0)
        return TSK_E_NOMEM;
    w->seq = l->seq++;
    l->nheap++;
    sift_up(l, l->nheap - 1, w);
    return TSK_OK;
}

void tio__heap_remove(tio_loop *l, tio_wait *w) {
    size_t i = w->slot - 1;
    tio_wait *last = l->heap[--l->nheap];
    w->slot = 0;
    if (last == w)
        return;
    /* the last one fills the hole, then moves whichever way it must */
    if (i > 0 && before(last, l->heap[(i - 1) / 2]))
        sift_up(l, i, last);
    else
        sift_down(l, i, last);
}
