// Tests run on Node 20; the pinned AWS SDK's notice about Node 22 would only add noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
