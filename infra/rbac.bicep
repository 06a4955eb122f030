// Every role assignment speechdrop needs, in one module, for the resources in the resource
// group it is deployed to. main.bicep deploys it once to the app's resource group and, when an
// existing Speech resource in another group is used, once more to that group (Speech role only).
//
// Names are guid(scope, principalId, roleDefinitionId): stable across re-provisioning, unique
// per (resource, principal, role). Role definition ids are the documented built-in ones;
// tests/infra/test_rbac_roles.py checks them against a table of role names.
//
// App identity (principalType ServicePrincipal, so assignments work before Entra replication):
//   Storage Blob Data Owner        on the storage account. Owner, not Contributor: it is the
//       role the Functions docs require for an identity-based AzureWebJobsStorage connection
//       and for the blob trigger (the host keeps locks, keys and blob-trigger receipts in
//       azure-webjobs-* containers it creates; Flex reads the deployment package with this
//       identity). Contributor would probably do for plain blob I/O, but it is not the
//       documented, supported configuration. What Owner adds over Contributor is POSIX ACL
//       and ownership management, which is inert here: the account has no hierarchical
//       namespace.
//   Storage Queue Data Contributor on the storage account. The blob trigger (also with
//       source=EventGrid) writes failing blobs to the webjobs-blobtrigger-poison queue on the
//       connection's account, and the host uses queues on AzureWebJobsStorage to dispatch
//       blob-trigger work. Both connections point at this one account.
//   Storage Table Data Contributor on the storage account: the jobs table (read, create,
//       conditional update, delete) and the host's diagnostic-event tables.
//   Monitoring Metrics Publisher   on Application Insights: required for telemetry when the
//       component has local auth disabled (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
//   Cognitive Services Speech User on the Speech account: batch synthesis API with an Entra
//       token, without the right to list keys (unlike Cognitive Services User).
//   Storage Account Contributor is NOT granted, although the blob-trigger docs list it for
//       an identity-based AzureWebJobsStorage: it is a management-plane write role (it can
//       change network rules and re-enable shared keys). The Event Grid based trigger is not
//       known to need it; if the host ever logs 403s setting up the blob trigger, grant it
//       on the storage account.
//
// Deploying user (optional, `principalId`): data roles to drop files, read results, inspect
// the jobs table and run the app locally against the cloud resources. Contributor rather
// than Owner on blobs: a person needs no more than read/write/delete.

@description('Principal id of the function app\'s managed identity.')
param appPrincipalId string

@description('Optional principal id (user or service principal) to grant data-plane access for local runs. Empty: none.')
param userPrincipalId string = ''
@allowed(['User', 'ServicePrincipal', 'Group'])
param userPrincipalType string = 'User'

@description('Storage account in this resource group.')
param storageAccountName string
param assignStorageRoles bool = true

@description('Application Insights component in this resource group.')
param applicationInsightsName string
param assignMonitoringRole bool = true

@description('Speech account in this resource group.')
param speechAccountName string
param assignSpeechRole bool = true

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  cognitiveServicesSpeechUser: 'f2dc8367-1007-4938-bd23-fe263f013447'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

var appStorageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]
var userStorageRoles = [
  roles.storageBlobDataContributor
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]
var assignUser = !empty(userPrincipalId)

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource speechAccount 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: speechAccountName
}

resource appStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in (assignStorageRoles ? appStorageRoles : []): {
    name: guid(storageAccount.id, appPrincipalId, roleId)
    scope: storageAccount
    properties: {
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource appMonitoring 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (assignMonitoringRole) {
  name: guid(applicationInsights.id, appPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

resource appSpeech 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (assignSpeechRole) {
  name: guid(speechAccount.id, appPrincipalId, roles.cognitiveServicesSpeechUser)
  scope: speechAccount
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.cognitiveServicesSpeechUser)
  }
}

resource userStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in (assignUser && assignStorageRoles ? userStorageRoles : []): {
    name: guid(storageAccount.id, userPrincipalId, roleId)
    scope: storageAccount
    properties: {
      principalId: userPrincipalId
      principalType: userPrincipalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource userSpeech 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (assignUser && assignSpeechRole) {
  name: guid(speechAccount.id, userPrincipalId, roles.cognitiveServicesSpeechUser)
  scope: speechAccount
  properties: {
    principalId: userPrincipalId
    principalType: userPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.cognitiveServicesSpeechUser)
  }
}
