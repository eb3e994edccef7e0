# tests/c/common.mk -- what the C test Makefiles share (tests/c, io/tests):
# the compiler flags, sanitizers and the runner that counts TAP lines.
# The including Makefile sets ROOT first; LABEL prefixes its summary.
CC      ?= cc
OPT     ?= -O2
BUILD   ?= build/$(notdir $(CC))$(if $(SANITIZE),-san)
WARN    := -std=c11 -Wall -Wextra -Werror -Wstrict-prototypes \
           -Wmissing-prototypes
CFLAGS  ?=
SANLIST := -fsanitize=address,undefined -fno-sanitize-recover=all \
           -fno-omit-frame-pointer
SANFLAGS := $(if $(SANITIZE),$(SANLIST))
# the checked core (TSK_CHECKED: its invariants) goes with the sanitizers
BASECFLAGS = $(OPT) -g $(WARN) -D_GNU_SOURCE \
             $(if $(SANITIZE),-DTSK_CHECKED=1) $(SANFLAGS) $(CFLAGS)

# run every binary in BINS (under RUNNER), count "ok" and "not ok" lines
# (a crash without one counts as a failure), fail if any failed
RUN_CHECKS = pass=0; fail=0; \
	for t in $(BINS); do \
	    out=$$($(RUNNER) ./$$t 2>&1); rc=$$?; echo "$$out"; \
	    p=$$(echo "$$out" | grep -c '^ok '); f=$$(echo "$$out" | grep -c '^not ok '); \
	    if [ $$rc -ne 0 ] && [ $$f -eq 0 ]; then f=1; fi; \
	    pass=$$((pass+p)); fail=$$((fail+f)); \
	done; \
	echo "$(if $(LABEL),$(LABEL) )$(notdir $(CC))$(if $(SANITIZE), sanitized): $$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]
