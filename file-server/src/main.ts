import { argValue, runServer } from '@parley/common';
import { startFileServer } from './index';

// Several file servers share one config.ini; `--id file1` picks this one's [file.file1] section.
void runServer('file', startFileServer, { id: argValue('id') ?? process.env.PARLEY_FILE_ID });
