// speechdrop infrastructure, deployed by `azd provision` / `azd up` at subscription scope.
//
// Creates: a resource group; a storage account (input/output containers, the Flex deployment
// container, the jobs table); an Event Grid system topic on it; a user-assigned managed
// identity; a Flex Consumption function app; an Azure AI Speech account (S0) unless an
// existing one is named; Log Analytics + Application Insights; and the role assignments
// (rbac.bicep). No keys or connection strings with secrets anywhere: every hop uses Entra ID.
//
// The Event Grid subscription that feeds the blob trigger is created by the azd postdeploy
// hook (infra/hooks/postdeploy.sh|.ps1), see README "Deploy to Azure".

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to name the resource group and to derive a unique token for resource names.')
param environmentName string

@minLength(1)
@description('Primary location for all resources. Must offer the Flex Consumption plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID); granted data-plane roles for local runs against the cloud. Empty: none.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
@description('Type of principalId: User for a person, ServicePrincipal when a pipeline runs azd.')
param principalType string = 'User'

@description('Name of an existing Speech resource to use instead of creating one. It must have a custom subdomain. Empty: create one.')
param existingSpeechName string = ''

@description('Resource group of existingSpeechName (in this subscription). Empty: the new resource group.')
param existingSpeechResourceGroup string = ''

@description('Region for a new Speech account (must support batch synthesis). Empty: location.')
param speechLocation string = ''

@description('Voice used when an input does not name one (DEFAULT_VOICE).')
param defaultVoice string = 'en-US-AvaMultilingualNeural'

@description('Audio format used when an input does not name one (DEFAULT_OUTPUT_FORMAT).')
param defaultOutputFormat string = 'audio-24khz-96kbitrate-mono-mp3'

@description('NCRONTAB schedule of the poll_jobs timer (POLL_SCHEDULE), six fields with seconds.')
param pollSchedule string = '*/30 * * * * *'

@description('Input container: files dropped here are turned into synthesis jobs.')
param inputContainerName string = 'input'

@description('Output container: audio, timings and manifest.json land here.')
param outputContainerName string = 'output'

@description('Table storage table holding the job records.')
param jobsTableName string = 'speechdropjobs'

param maxFileBytes int = 52428800
param maxInputChars int = 3000
param maxJobPayloadBytes int = 2000000
param maxInputsPerJob int = 10000
param jobTimeoutMinutes int = 1440
param serviceTtlHours int = 48

@description('The service API that voices files by default; a file may choose with its backend metadata.')
@allowed(['batch', 'longaudio'])
param synthesisBackend string = 'batch'

@description('Long Audio API endpoint (the region\'s customvoice host). Long Audio v3.0 takes a Speech key only, so it needs a key-enabled Speech resource.')
param longAudioEndpoint string = 'https://${location}.customvoice.api.speech.microsoft.com'

@description('Upper bound of Flex Consumption instances.')
param maximumInstanceCount int = 40

@description('Memory per Flex Consumption instance (MB).')
param instanceMemoryMB int = 2048

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
// Must match the service name in azure.yaml: azd finds the app by this tag.
var serviceName = 'speechdrop'

var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var useExistingSpeech = !empty(existingSpeechName)
var newSpeechName = 'spch-${resourceToken}'
var speechName = useExistingSpeech ? existingSpeechName : newSpeechName
// An existing Speech resource may live in another resource group; a new one lives in ours.
var speechResourceGroupName = useExistingSpeech && !empty(existingSpeechResourceGroup) ? existingSpeechResourceGroup : rg.name
var speechInOtherGroup = toLower(speechResourceGroupName) != toLower(rg.name)

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    inputContainerName: inputContainerName
    outputContainerName: outputContainerName
    deploymentContainerName: deploymentContainerName
    jobsTableName: jobsTableName
  }
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  scope: rg
  params: {
    name: 'evgt-${resourceToken}'
    location: location
    tags: tags
    storageAccountId: storage.outputs.id
  }
}

module speech 'modules/speech.bicep' = if (!useExistingSpeech) {
  name: 'speech'
  scope: rg
  params: {
    name: newSpeechName
    location: !empty(speechLocation) ? speechLocation : location
    tags: tags
  }
}

module existingSpeech 'modules/speech-existing.bicep' = if (useExistingSpeech) {
  name: 'speech-existing'
  scope: resourceGroup(speechResourceGroupName)
  params: {
    name: existingSpeechName
  }
}

var speechEndpoint = useExistingSpeech ? existingSpeech.outputs.endpoint : speech.outputs.endpoint

// Role assignments in our resource group (and the Speech role when Speech is here too).
module rbac 'rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    speechAccountName: speechName
    assignSpeechRole: !speechInOtherGroup
  }
  // The Speech account must exist before its role assignment.
  dependsOn: [
    speech
    existingSpeech
  ]
}

// The Speech role when an existing Speech resource lives in another resource group.
module rbacSpeech 'rbac.bicep' = if (speechInOtherGroup) {
  name: 'rbac-speech'
  scope: resourceGroup(speechResourceGroupName)
  params: {
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
    storageAccountName: storage.outputs.name
    assignStorageRoles: false
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    assignMonitoringRole: false
    speechAccountName: speechName
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    functionAppName: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    serviceName: serviceName
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    inputContainerName: inputContainerName
    outputContainerName: outputContainerName
    jobsTableName: jobsTableName
    speechEndpoint: speechEndpoint
    pollSchedule: pollSchedule
    defaultVoice: defaultVoice
    defaultOutputFormat: defaultOutputFormat
    maxFileBytes: maxFileBytes
    maxInputChars: maxInputChars
    maxJobPayloadBytes: maxJobPayloadBytes
    maxInputsPerJob: maxInputsPerJob
    jobTimeoutMinutes: jobTimeoutMinutes
    serviceTtlHours: serviceTtlHours
    synthesisBackend: synthesisBackend
    longAudioEndpoint: longAudioEndpoint
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
  // Start the app only once its identity holds its roles (fewer 403s on first start).
  dependsOn: [
    rbac
    rbacSpeech
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
// The identity's client id, under a name that azure-identity does not pick up on your machine.
output AZURE_FUNCTION_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
output INPUT_CONTAINER string = inputContainerName
output OUTPUT_CONTAINER string = outputContainerName
output JOBS_TABLE string = jobsTableName
output SPEECH_ENDPOINT string = speechEndpoint
output SPEECH_RESOURCE_NAME string = speechName
output SPEECH_RESOURCE_GROUP string = speechResourceGroupName
output EVENT_GRID_SYSTEM_TOPIC_NAME string = eventGrid.outputs.name
output BLOB_TRIGGER_FUNCTION_NAME string = 'accept_dropped_file'
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
