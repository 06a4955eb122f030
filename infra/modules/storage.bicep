// The one storage account speechdrop uses: Functions host storage (AzureWebJobsStorage), the
// Flex Consumption deployment container, the input and output containers, and the jobs table.
// Shared-key access is off: every caller (the app, the deploying user, Event Grid's system
// topic reading events) uses Microsoft Entra ID.

param name string
param location string
param tags object = {}
param inputContainerName string
param outputContainerName string
param deploymentContainerName string
param jobsTableName string
@description('Days a deleted blob or container can be restored.')
param softDeleteRetentionDays int = 7

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: Public endpoint by design: Flex Consumption without VNet integration and the users dropping files reach it; shared keys are off, Entra ID RBAC only
  // checkov:skip=CKV_AZURE_59: Same as CKV_AZURE_35: the data plane must be reachable without a VNet; every request needs an Entra ID token and a data role
  // checkov:skip=CKV_AZURE_206: LRS on purpose: outputs are reproducible from inputs and jobs are retried; ZRS/GRS costs more and ZRS is not in every region
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      // Public on purpose (see the checkov:skip notes above): Flex without VNet integration and
      // users dropping files reach the account over its public endpoint; access is Entra-only.
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
        file: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteRetentionDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteRetentionDays
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for containerName in [inputContainerName, outputContainerName, deploymentContainerName]: {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource jobsTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: jobsTableName
}

output name string = storage.name
output id string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output tableEndpoint string = storage.properties.primaryEndpoints.table
output queueEndpoint string = storage.properties.primaryEndpoints.queue
