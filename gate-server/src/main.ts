import { runServer } from '@parley/common';
import { startGateServer } from './index';

void runServer('gate', startGateServer);
