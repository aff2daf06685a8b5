import { runServer } from '@parley/common';
import { startStatusServer } from './index';

void runServer('status', (ctx) => startStatusServer(ctx));
