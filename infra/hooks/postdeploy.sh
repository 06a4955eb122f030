#!/bin/sh
# azd postdeploy hook: subscribe the blob trigger (accept_dropped_file) to BlobCreated events
# from the input container. Runs after `azd deploy` / `azd up`, because the webhook URL needs
# the Functions host's blobs_extension system key, which exists only once the code is running.
# Idempotent: re-running updates the same subscription. Needs the Azure CLI, logged in.
set -eu

command -v az >/dev/null 2>&1 || { echo "postdeploy: the Azure CLI (az) is required" >&2; exit 1; }

# azd runs hooks with the environment's values (azd env get-values) in the environment.
: "${AZURE_RESOURCE_GROUP:?run through azd, or export the azd environment values}"
: "${AZURE_FUNCTION_APP_NAME:?}"
: "${EVENT_GRID_SYSTEM_TOPIC_NAME:?}"
: "${INPUT_CONTAINER:?}"
function_name="${BLOB_TRIGGER_FUNCTION_NAME:-accept_dropped_file}"
subscription_name="${EVENT_SUBSCRIPTION_NAME:-speechdrop-input-blob-created}"

# The host creates the key on first start after deployment; give it a few minutes.
key=""
attempt=1
while [ "$attempt" -le 30 ]; do
  key=$(az functionapp keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
    --query "systemKeys.blobs_extension" -o tsv 2>/dev/null || true)
  [ -n "$key" ] && break
  echo "postdeploy: waiting for the blobs_extension key (attempt $attempt/30)..."
  sleep 10
  attempt=$((attempt + 1))
done
if [ -z "$key" ]; then
  echo "postdeploy: no blobs_extension system key on $AZURE_FUNCTION_APP_NAME." >&2
  echo "Check that the app started (App Insights logs), then run: azd hooks run postdeploy" >&2
  exit 1
fi

host=$(az functionapp show -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
  --query defaultHostName -o tsv)
endpoint="https://${host}/runtime/webhooks/blobs?functionName=Host.Functions.${function_name}&code=${key}"

echo "postdeploy: subscribing ${function_name} to BlobCreated in container '${INPUT_CONTAINER}'"
# The key is part of the URL: never echo $endpoint. Event Grid stores it write-only.
az eventgrid system-topic event-subscription create \
  --name "$subscription_name" \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --system-topic-name "$EVENT_GRID_SYSTEM_TOPIC_NAME" \
  --endpoint-type webhook \
  --endpoint "$endpoint" \
  --included-event-types Microsoft.Storage.BlobCreated \
  --subject-begins-with "/blobServices/default/containers/${INPUT_CONTAINER}/blobs/" \
  --event-delivery-schema EventGridSchema \
  --max-delivery-attempts 30 \
  --event-ttl 1440 \
  --output none

echo "postdeploy: done. Drop a file into '${INPUT_CONTAINER}' to start a job."
