#!/usr/bin/env node
import { runServer } from '@servebench/core';
import { listen } from './app.js';

await runServer('koa', listen, process.env);
