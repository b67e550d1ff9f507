import module from 'node:module';

// Node >= 22.1 keeps V8's compiled code of loaded modules on disk (NODE_COMPILE_CACHE or the OS temp
// folder): later starts and CLI calls skip most of the parse/compile of the ~2,000 modules they load.
// Imported first by the entry points; a no-op where unsupported.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
