import { argValue, runServer } from '@parley/common';
import { startChatServer } from './index';

// Several chat servers share one config.ini; `--id chat1` picks this one's [chat.chat1] section.
void runServer('chat', startChatServer, { id: argValue('id') ?? process.env.PARLEY_CHAT_ID });
