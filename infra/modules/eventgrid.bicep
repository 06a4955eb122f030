// Event Grid system topic over the storage account. Its BlobCreated subscription (filtered to
// the input container, delivering to the blob trigger's webhook) is created after code deploy
// by infra/hooks/postdeploy.sh|.ps1, because the webhook needs the Functions host's
// `blobs_extension` system key, which exists only once the app is running.

param name string
param location string
param tags object = {}
param storageAccountId string

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: storageAccountId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = systemTopic.name
output id string = systemTopic.id
