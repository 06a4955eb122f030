// Looks up an existing Azure AI Speech account (deployed to that account's resource group)
// and returns its custom-subdomain endpoint. The account must be S0 (F0 cannot run batch
// synthesis) and must have a custom subdomain (required for Microsoft Entra ID auth); set
// one with `az cognitiveservices account update --custom-domain <name>` if it has none.

param name string

resource speech 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: name
}

output name string = speech.name
output endpoint string = 'https://${speech.properties.customSubDomainName}.cognitiveservices.azure.com'
