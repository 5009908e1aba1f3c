# Tessera — one plain GNU Makefile, no configure step.
#   make            libkrb (static + shared), tessera-kdc, the tools
#   make check      unit tests (Check) + integration tests on loopback
#   make asan       the whole suite under ASan+UBSan (build-asan/)
#   make valgrind   the whole suite with the daemon and tools under valgrind
#   make fuzz       libFuzzer targets (clang; build-fuzz/)
#   make fuzz-smoke each fuzz target for FUZZ_SECONDS seconds
#   make install PREFIX=/usr/local DESTDIR=
VERSION    := 0.1.0
SOVERSION  := 0
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     := $(PREFIX)/bin
SBINDIR    := $(PREFIX)/sbin
LIBDIR     := $(PREFIX)/lib
INCLUDEDIR := $(PREFIX)/include
MANDIR     := $(PREFIX)/share/man

B   ?= build
CC  ?= cc
OPT ?= -O2 -g
SAN ?=
FORTIFY ?= -D_FORTIFY_SOURCE=2
FUZZ_SECONDS ?= 30

PKGS := libsodium lmdb
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lsodium -llmdb)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt)

WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-missing-field-initializers
# gcc's -Wformat-truncation flags intended truncation of snprintf messages; clang lacks the option.
ifeq ($(findstring clang,$(shell $(CC) --version 2>/dev/null)),)
WARN += -Wno-format-truncation
endif
HARDEN  := -fstack-protector-strong $(FORTIFY) -fPIC -fno-strict-overflow
CPPFLAGS_ALL := -D_GNU_SOURCE -Iinclude -Ilibkrb -Idb -Ikdc $(PKG_CFLAGS)
CFLAGS_ALL   := $(WARN) $(HARDEN) $(OPT) $(SAN) $(CFLAGS)
LDFLAGS_ALL  := -pie -Wl,-z,relro,-z,now $(SAN) $(LDFLAGS)
LIBS_ALL     := $(PKG_LIBS) -lpthread

LIBKRB_SRC := $(sort $(wildcard libkrb/*.c))
DB_SRC     := $(sort $(wildcard db/*.c))
KDC_SRC    := $(sort $(filter-out kdc/main.c,$(wildcard kdc/*.c)))
APP_SRC    := $(sort $(filter-out apps/common.c,$(wildcard apps/tk*.c)))
APPS       := $(patsubst apps/%.c,$(B)/bin/%,$(APP_SRC))
UNIT_SRC   := $(sort $(wildcard tests/unit/check_*.c))
UNITS      := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
FUZZ_SRC   := $(sort $(wildcard fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
LIBKRB_A  := $(B)/lib/libkrb.a
LIBKRB_SO := $(B)/lib/libkrb.so.$(VERSION)
LIBKDB_A  := $(B)/lib/libtesseradb.a
LIBKDC_A  := $(B)/lib/libtesserakdc.a
COMMON_O  := $(if $(wildcard apps/common.c),$(call obj,apps/common.c))
KDC_BIN   := $(if $(wildcard kdc/main.c),$(B)/bin/tessera-kdc)

.SECONDARY:
.PHONY: all check unit integration asan valgrind fuzz fuzz-smoke install clean cppcheck format bench
all: $(LIBKRB_A) $(LIBKRB_SO) $(LIBKDB_A) $(LIBKDC_A) $(KDC_BIN) $(APPS) $(B)/tessera.pc

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(LIBKRB_A): $(call obj,$(LIBKRB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBKRB_SO): $(call obj,$(LIBKRB_SRC)) libkrb/libkrb.map
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libkrb.so.$(SOVERSION) -Wl,--version-script=libkrb/libkrb.map -Wl,-z,relro,-z,now \
	    $(SAN) -o $@ $(call obj,$(LIBKRB_SRC)) $(PKG_LIBS) -lpthread
	ln -sf libkrb.so.$(VERSION) $(B)/lib/libkrb.so.$(SOVERSION)
	ln -sf libkrb.so.$(SOVERSION) $(B)/lib/libkrb.so

$(LIBKDB_A): $(call obj,$(DB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBKDC_A): $(call obj,$(KDC_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

LINK_LIBS := $(LIBKDC_A) $(LIBKDB_A) $(LIBKRB_A)

$(B)/bin/tessera-kdc: $(call obj,kdc/main.c) $(LINK_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LINK_LIBS) $(LIBS_ALL)

$(B)/bin/%: $(B)/obj/apps/%.o $(COMMON_O) $(LINK_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(COMMON_O) $(LINK_LIBS) $(LIBS_ALL)

$(B)/obj/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CHECK_CFLAGS) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(LINK_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LINK_LIBS) $(LIBS_ALL) $(CHECK_LIBS)

# Benchmark helpers (tests/tools/*.c), built on demand by the bench scripts.
$(B)/tools/%: tests/tools/%.c $(LINK_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LINK_LIBS) $(LIBS_ALL)

$(B)/tessera.pc: libkrb/tessera.pc.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' $< > $@

# The test runner prints "N passed, N failed" as its last line.
check: all $(UNITS)
	B=$(B) bash tests/run.sh $(UNITS) $(sort $(wildcard tests/integration/t_*.sh))

unit: all $(UNITS)
	B=$(B) bash tests/run.sh $(UNITS)

integration: all
	B=$(B) bash tests/run.sh $(sort $(wildcard tests/integration/t_*.sh))

asan:
	$(MAKE) B=build-asan OPT="-O1 -g" FORTIFY= \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" check

valgrind: all $(UNITS)
	B=$(B) TESSERA_VALGRIND=1 bash tests/run.sh $(UNITS) $(sort $(wildcard tests/integration/t_*.sh))

FUZZ_SAN := -fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer
fuzz:
	$(MAKE) B=build-fuzz CC=clang OPT="-O1 -g" FORTIFY= SAN="$(FUZZ_SAN)" \
	    $(patsubst fuzz/%.c,build-fuzz/fuzz/%,$(FUZZ_SRC))

build-fuzz/fuzz/%: fuzz/%.c $(LINK_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -fsanitize=fuzzer -o $@ $< $(LINK_LIBS) $(LIBS_ALL)

fuzz-smoke: fuzz
	bash fuzz/smoke.sh $(FUZZ_SECONDS)

# Rewrite the seed corpora (fuzz/corpus/<target>/) from real encodings.
.PHONY: fuzz-corpus
fuzz-corpus: $(LIBKRB_A)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $(B)/gen_corpus fuzz/gen_corpus.c $(LIBKRB_A) $(LIBS_ALL)
	$(B)/gen_corpus fuzz/corpus

bench: all
	bash scripts/bench.sh

cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 \
	    --inline-suppr --suppress=missingIncludeSystem -D_GNU_SOURCE -Iinclude -Ilibkrb -Idb -Ikdc \
	    libkrb db kdc apps fuzz tests/unit tests/tools

format:
	clang-format -i $(wildcard include/*.h libkrb/*.[ch] db/*.[ch] kdc/*.[ch] apps/*.[ch] tests/unit/*.c fuzz/*.c)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	for b in $(APPS); do n=$$(basename $$b); case $$n in tkadmin) d=$(SBINDIR);; *) d=$(BINDIR);; esac; \
	    install -m 0755 $$b $(DESTDIR)$$d/$$n; done
	$(if $(KDC_BIN),install -m 0755 $(KDC_BIN) $(DESTDIR)$(SBINDIR)/tessera-kdc)
	install -m 0644 $(LIBKRB_A) $(DESTDIR)$(LIBDIR)/libkrb.a
	install -m 0755 $(LIBKRB_SO) $(DESTDIR)$(LIBDIR)/libkrb.so.$(VERSION)
	ln -sf libkrb.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libkrb.so.$(SOVERSION)
	ln -sf libkrb.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libkrb.so
	install -m 0644 include/krb.h $(DESTDIR)$(INCLUDEDIR)/krb.h
	install -m 0644 $(B)/tessera.pc $(DESTDIR)$(LIBDIR)/pkgconfig/tessera.pc
	for m in $(wildcard docs/man/*.1); do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man1/; done
	for m in $(wildcard docs/man/*.8); do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/; done

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
