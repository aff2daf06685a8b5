export { createGroupHandlers, type GroupHandlerDeps, type GroupHandlers } from './group-handlers';
export { GroupService, type GroupChange, type GroupNotice, type SystemPush } from './group-service';
export { GroupStore, systemMessageId } from './group-store';
