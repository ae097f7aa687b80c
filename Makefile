# DHN: `make run` starts the whole product locally, `make test` runs every test,
# `make deploy STAGE=dev` puts a stage in AWS. Each creates what it needs on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt infra/requirements.txt | cksum | cut -d' ' -f1)
STAGE ?= dev
STAGES := dev prod

# checkov pins its own dependencies, so it lives apart from the app's virtualenv.
SCAN_VENV := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed-$(shell cksum < infra/requirements-scan.txt | cut -d' ' -f1)

CDK_OUT := $(CURDIR)/infra/cdk.out
CDK := infra/node_modules/.bin/cdk
# A stand-in account for synthesizing without credentials; `cdk deploy` names the real one.
SYNTH_ACCOUNT := 123456789012
# jsii's notice about the machine's Node.js version is not about DHN.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 18,20

.PHONY: venv run test lint openapi check-infra chromium synth deploy destroy bench clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt infra/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

$(SCAN_STAMP): infra/requirements-scan.txt
	test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-scan.txt
	rm -f $(SCAN_VENV)/.installed-* && touch $(SCAN_STAMP)

run: venv
	$(BIN)/python -m local.stack

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint check-infra chromium
	$(BIN)/pytest

# The browser the reference page's test opens (tests/e2e/test_reference_page.py): Debian's
# package, installed as root when it is not on PATH yet.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
chromium:
	@command -v chromium >/dev/null || \
		($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# openapi.yaml, the published contract, generated from the routes and their models.
openapi: venv
	$(BIN)/python -m chalicelib.api.contract

# The CloudFormation of every stage, offline: no AWS credentials are needed or used.
synth: venv
	rm -rf $(CDK_OUT) infra/chalice.out
	for stage in $(STAGES); do \
		(cd infra && CDK_DEFAULT_ACCOUNT=$(SYNTH_ACCOUNT) CDK_OUTDIR=$(CDK_OUT)/$$stage \
			CDK_CONTEXT_JSON='{"stage":"'$$stage'"}' ../$(BIN)/python app.py) || exit 1; \
	done

# What a deploy would ship, checked: CloudFormation's rules, then security rules.
check-infra: synth $(SCAN_STAMP)
	$(SCAN_VENV)/bin/cfn-lint $(CDK_OUT)/*/*.template.json
	$(SCAN_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation \
		$(foreach stage,$(STAGES),-f $(CDK_OUT)/$(stage)/$(stage).template.json)

$(CDK): infra/package.json infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund
	touch $(CDK)

deploy: venv $(CDK)
	cd infra && ./node_modules/.bin/cdk bootstrap -c stage=$(STAGE)
	cd infra && ./node_modules/.bin/cdk deploy -c stage=$(STAGE) --require-approval never

destroy: venv $(CDK)
	cd infra && ./node_modules/.bin/cdk destroy -c stage=$(STAGE) --force

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(SCAN_VENV) .pytest_cache .mypy_cache .ruff_cache infra/cdk.out infra/chalice.out infra/node_modules
