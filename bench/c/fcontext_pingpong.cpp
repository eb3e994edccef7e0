/*
** fcontext_pingpong.cpp
** boost.context's jump_fcontext ping-pong, for bench_switch.c.
** See LICENSE in the project root.
*/
#include <cstddef>
#include <boost/context/detail/fcontext.hpp>

using boost::context::detail::fcontext_t;
using boost::context::detail::jump_fcontext;
using boost::context::detail::make_fcontext;
using boost::context::detail::transfer_t;

static void body(transfer_t t) {
    for (;;)
        t = jump_fcontext(t.fctx, nullptr);
}

/* rounds round trips (two switches each) between the caller and a fiber
** on [stack, stack + size) */
extern "C" void bench_fcontext(long rounds, void *stack, std::size_t size) {
    fcontext_t f = make_fcontext(static_cast<char *>(stack) + size, size, body);
    for (long i = 0; i < rounds; i++)
        f = jump_fcontext(f, nullptr).fctx;
}
