# azd postdeploy hook (Windows): subscribe the blob trigger (accept_dropped_file) to
# BlobCreated events from the input container. Same steps as postdeploy.sh; see there.
$ErrorActionPreference = 'Stop'

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Error 'postdeploy: the Azure CLI (az) is required'
}

foreach ($name in 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'EVENT_GRID_SYSTEM_TOPIC_NAME', 'INPUT_CONTAINER') {
    if (-not [Environment]::GetEnvironmentVariable($name)) {
        Write-Error "postdeploy: $name is not set; run through azd (azd hooks run postdeploy)"
    }
}
$resourceGroup = $env:AZURE_RESOURCE_GROUP
$appName = $env:AZURE_FUNCTION_APP_NAME
$topic = $env:EVENT_GRID_SYSTEM_TOPIC_NAME
$container = $env:INPUT_CONTAINER
$functionName = if ($env:BLOB_TRIGGER_FUNCTION_NAME) { $env:BLOB_TRIGGER_FUNCTION_NAME } else { 'accept_dropped_file' }
$subscriptionName = if ($env:EVENT_SUBSCRIPTION_NAME) { $env:EVENT_SUBSCRIPTION_NAME } else { 'speechdrop-input-blob-created' }

$key = ''
for ($attempt = 1; $attempt -le 30; $attempt++) {
    $key = az functionapp keys list -g $resourceGroup -n $appName --query 'systemKeys.blobs_extension' -o tsv 2>$null
    if ($key) { break }
    Write-Host "postdeploy: waiting for the blobs_extension key (attempt $attempt/30)..."
    Start-Sleep -Seconds 10
}
if (-not $key) {
    Write-Error "postdeploy: no blobs_extension system key on $appName. Check that the app started, then run: azd hooks run postdeploy"
}

$hostName = az functionapp show -g $resourceGroup -n $appName --query defaultHostName -o tsv
$endpoint = "https://$hostName/runtime/webhooks/blobs?functionName=Host.Functions.$functionName&code=$key"

Write-Host "postdeploy: subscribing $functionName to BlobCreated in container '$container'"
# The endpoint contains '&': quote it for az (a .cmd on Windows) so cmd.exe does not split it.
az eventgrid system-topic event-subscription create `
    --name $subscriptionName `
    --resource-group $resourceGroup `
    --system-topic-name $topic `
    --endpoint-type webhook `
    --endpoint "`"$endpoint`"" `
    --included-event-types Microsoft.Storage.BlobCreated `
    --subject-begins-with "/blobServices/default/containers/$container/blobs/" `
    --event-delivery-schema EventGridSchema `
    --max-delivery-attempts 30 `
    --event-ttl 1440 `
    --output none
if ($LASTEXITCODE -ne 0) { Write-Error 'postdeploy: creating the event subscription failed' }

Write-Host "postdeploy: done. Drop a file into '$container' to start a job."
