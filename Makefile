# The seed report's workflow on this project. Variables can be overridden: make build TAG=1.2.3
IMAGE     ?= k8s-graceful-shutdown
TAG       ?= dev
OVERLAY   ?= dev
NAMESPACE ?= k8s-graceful-shutdown-test
KUBECTL   ?= kubectl
DOCKER    ?= docker
SERVER_URL ?= ws://host.docker.internal:8080/ws

.PHONY: help build push run-server run-client k8s-apply k8s-delete k8s-restart k8s-list-pods \
        k8s-delete-pod k8s-logs-server k8s-logs-client drill test

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-16s %s\n", $$1, $$2}'

build: ## Build the image for both apps
	$(DOCKER) build -t $(IMAGE):$(TAG) .

push: ## Push the image
	$(DOCKER) push $(IMAGE):$(TAG)

run-server: ## Run the server image on :8080
	$(DOCKER) run --rm -p 8080:8080 $(IMAGE):$(TAG)

run-client: ## Run the client image against SERVER_URL
	$(DOCKER) run --rm -e SERVER_URL=$(SERVER_URL) $(IMAGE):$(TAG) node dist/apps/client/main.js

k8s-apply: ## Deploy an overlay (OVERLAY=dev|prod)
	$(KUBECTL) apply -k kustomize/overlays/$(OVERLAY)

k8s-delete: ## Remove an overlay's objects
	$(KUBECTL) delete -k kustomize/overlays/$(OVERLAY) --ignore-not-found

k8s-restart: ## Rolling restart of server and client
	$(KUBECTL) -n $(NAMESPACE) rollout restart deployment/server-deployment deployment/client-deployment

k8s-list-pods: ## List the pods
	$(KUBECTL) -n $(NAMESPACE) get pods -o wide

k8s-delete-pod: ## Delete one pod: make k8s-delete-pod POD_NAME=server-deployment-...
ifeq ($(strip $(POD_NAME)),)
	@$(KUBECTL) -n $(NAMESPACE) get pods || true
	@echo "Usage: make k8s-delete-pod POD_NAME=<pod name from the list above>" >&2
	@exit 2
else
	$(KUBECTL) -n $(NAMESPACE) delete pod $(POD_NAME)
endif

k8s-logs-server: ## Follow the logs of every server pod
	$(KUBECTL) -n $(NAMESPACE) logs -f -l app=server --prefix --max-log-requests 20

k8s-logs-client: ## Follow the client's logs
	$(KUBECTL) -n $(NAMESPACE) logs -f -l app=client --prefix

drill: ## Run the local drill and write a report
	npm run drill

test: ## Run every test (the image test needs root and podman)
	npm run test:all
