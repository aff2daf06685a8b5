import { runServer } from '@parley/common';
import { startVerifyServer } from './index';

void runServer('verify', startVerifyServer);
