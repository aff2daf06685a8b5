export { createProfileHandlers, type ProfileHandlers } from './profile-handlers';
export { avatarFromFile, groupAvatar, publishAvatar, type AvatarChoice } from './avatar-files';
