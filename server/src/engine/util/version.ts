/** The tool version written into manifests and change records; a test keeps it equal to package.json's. */
export const toolVersion = '0.1.0';
