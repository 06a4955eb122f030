// A new Azure AI Speech account for batch synthesis. (To use an existing account instead,
// main.bicep deploys speech-existing.bicep and skips this module.)
//
// SKU S0: the free F0 tier cannot run batch synthesis jobs, so it is not offered.
// A custom subdomain is required for Microsoft Entra ID (token) authentication, and local
// (key) auth is disabled: the function app calls Speech with its managed identity, which
// rbac.bicep grants Cognitive Services Speech User on this account.

param name string
param location string
param tags object = {}

resource speech 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  // checkov:skip=CKV_AZURE_134: The function app (no VNet) calls Speech over its public endpoint; local auth is disabled, so every call needs an Entra ID token with Speech User
  name: name
  location: location
  tags: tags
  kind: 'SpeechServices'
  sku: {
    name: 'S0'
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
    }
  }
}

output name string = speech.name
// Entra ID tokens are accepted on the custom-subdomain endpoint, not the regional one.
output endpoint string = 'https://${speech.properties.customSubDomainName}.cognitiveservices.azure.com'
