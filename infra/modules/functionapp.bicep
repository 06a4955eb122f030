// The speechdrop function app on the Flex Consumption plan (FC1), running as a user-assigned
// managed identity. Runtime and version live in functionAppConfig (Flex does not accept
// FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION app settings), and code is deployed
// by azd into a blob container the platform reads with the same identity.
//
// The app settings below are exactly the ones the code reads (shared/config.py SETTING_NAMES,
// with the storage connection in its identity-based form) plus the Functions host's own
// settings; tests/infra/test_app_settings_contract.py keeps them in step.

param functionAppName string
param planName string
param location string
param tags object = {}
@description('Value of the azd-service-name tag: the service name in azure.yaml.')
param serviceName string

param identityId string
param identityClientId string

param blobEndpoint string
param tableEndpoint string
param queueEndpoint string
param deploymentContainerName string

param applicationInsightsConnectionString string

param inputContainerName string
param outputContainerName string
param jobsTableName string
param speechEndpoint string
param pollSchedule string
param defaultVoice string
param defaultOutputFormat string
param maxFileBytes int
param maxInputChars int
param maxJobPayloadBytes int
param maxInputsPerJob int
param jobTimeoutMinutes int
param serviceTtlHours int
param synthesisBackend string
param longAudioEndpoint string

@allowed(['3.10', '3.11', '3.12'])
param pythonVersion string = '3.11'
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

var appSettings = {
  // --- the Functions host's own settings ---------------------------------------------
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // azure-identity's DefaultAzureCredential picks the user-assigned identity by this id.
  AZURE_CLIENT_ID: identityClientId

  // --- what the code reads (shared/config.py SETTING_NAMES) ---------------------------
  // Storage connection "SPEECHDROP_STORAGE" in identity-based form; also used by the blob
  // trigger binding (connection=SPEECHDROP_STORAGE).
  SPEECHDROP_STORAGE__blobServiceUri: blobEndpoint
  SPEECHDROP_STORAGE__tableServiceUri: tableEndpoint
  SPEECHDROP_STORAGE__queueServiceUri: queueEndpoint
  SPEECHDROP_STORAGE__credential: 'managedidentity'
  SPEECHDROP_STORAGE__clientId: identityClientId
  INPUT_CONTAINER: inputContainerName
  OUTPUT_CONTAINER: outputContainerName
  JOBS_TABLE: jobsTableName
  POLL_SCHEDULE: pollSchedule
  SPEECH_ENDPOINT: speechEndpoint
  // Empty on purpose: the app then authenticates to Speech with Microsoft Entra ID (the
  // Speech account has local auth disabled). Never put a key here.
  SPEECH_KEY: ''
  DEFAULT_VOICE: defaultVoice
  DEFAULT_OUTPUT_FORMAT: defaultOutputFormat
  MAX_FILE_BYTES: string(maxFileBytes)
  MAX_INPUT_CHARS: string(maxInputChars)
  MAX_JOB_PAYLOAD_BYTES: string(maxJobPayloadBytes)
  MAX_INPUTS_PER_JOB: string(maxInputsPerJob)
  JOB_TIMEOUT_MINUTES: string(jobTimeoutMinutes)
  SERVICE_TTL_HOURS: string(serviceTtlHours)
  SYNTHESIS_BACKEND: synthesisBackend
  LONG_AUDIO_ENDPOINT: longAudioEndpoint
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: Zone redundancy on Flex Consumption keeps at least two always-ready instances billed around the clock and is not offered in every region; batch jobs tolerate a zone outage
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: Event Grid delivers BlobCreated events to the blob trigger webhook over the public endpoint; HTTP functions require function keys
  // checkov:skip=CKV_AZURE_17: Event Grid webhook delivery cannot present a client certificate; the webhook is authenticated by the blobs_extension system key
  // checkov:skip=CKV_AZURE_212: Flex Consumption scales instances on demand; there is no fixed instance count, and always-ready instances would bill when idle
  // checkov:skip=CKV_AZURE_213: Health check is not supported on the Flex Consumption plan
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        for setting in items(appSettings): {
          name: setting.key
          value: setting.value
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

output name string = functionApp.name
output id string = functionApp.id
output defaultHostName string = functionApp.properties.defaultHostName
output planName string = plan.name
