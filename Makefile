# mailrelay.sendmail - run as root on a Debian 12 host. Every target bootstraps what it needs.
#
#   make demo          two relays and a client in containers, built and verified; shown at work
#   make test          lint + sanity + unit tests + release and EE tests + every Molecule scenario
#
# Parts: make lint | sanity | units | molecule SCENARIO=build | images | sources | bench
#        release | release-test | changelog | ee | ee-test | readme-test
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= $(CURDIR)/.venv
SCENARIO ?= build
SCENARIOS := $(sort $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))

export PATH := $(VENV)/bin:$(PATH)
export MOLECULE_GLOB := molecule/*/molecule.yml
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.cache/collections
export PY_COLORS ?= 0
export ANSIBLE_FORCE_COLOR ?= 0
export NO_COLOR ?= 1

.PHONY: help bootstrap deps engine venv images sources lint sanity units molecule test demo demo-verify demo-destroy bench clean $(addprefix molecule-,$(SCENARIOS)) \
        release release-test changelog ee ee-test readme-test

help:
	@sed -n '1,7p' Makefile | sed 's/^# \{0,1\}//'
	@echo "Scenarios: $(SCENARIOS)"

# ---------------------------------------------------------------- bootstrap
deps:
	@scripts/deps.sh

engine: deps
	@scripts/docker-engine.sh

venv: deps
	@scripts/venv.sh

images: engine
	@scripts/images.sh

sources: deps
	@scripts/sources.sh

bootstrap: venv images sources

# ---------------------------------------------------------------- checks
lint: venv
	yamllint -s .
	ansible-lint
	antsibull-changelog lint

sanity: venv
	scripts/sanity.sh

# the cf judge's tests build real sendmail.cf files with m4 and the cf tree of the offline sources
units: venv sources
	python -m pytest -q tests/unit

molecule: bootstrap
	molecule test -s $(SCENARIO)

$(addprefix molecule-,$(SCENARIOS)): molecule-%: bootstrap
	molecule test -s $*

# the scenario that fills the artifact cache runs first and alone; the rest three at a time (TEST_JOBS),
# the longest first
FIRST_SCENARIO := build
LONG_SCENARIOS := fleet default directory
test: lint sanity units release-test
	@$(MAKE) --no-print-directory bootstrap
	@scripts/test-jobs.sh $(FIRST_SCENARIO) $(filter $(SCENARIOS),$(LONG_SCENARIOS)) make:ee-test make:readme-test \
	  $(filter-out $(FIRST_SCENARIO) $(LONG_SCENARIOS),$(SCENARIOS))

# ---------------------------------------------------------------- release and execution environment
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)

# the collection tarball in the checkout's root, proven by release-test before it is called done
release: venv
	ansible-galaxy collection build --force --output-path $(CURDIR) .
	scripts/release-test.sh $(CURDIR)/mailrelay-sendmail-$(VERSION).tar.gz

release-test: venv
	scripts/release-test.sh

# CHANGELOG.rst and changelogs/changelog.yaml for the version in galaxy.yml; consumes the fragments
changelog: venv
	antsibull-changelog lint
	antsibull-changelog release

ee: venv engine
	scripts/ee.sh

ee-test: ee images
	scripts/ee-test.sh

# the README's example inventory and commands, cut out of README.md and run as written
readme-test: venv images sources
	scripts/readme-test.sh

# ---------------------------------------------------------------- demo and benchmark
demo: bootstrap
	scripts/demo.sh

demo-verify: venv
	molecule verify -s default

demo-destroy: venv
	molecule destroy -s default

bench: bootstrap
	scripts/bench.sh

clean:
	-molecule destroy --all
	rm -rf .cache/sanity tests/output
