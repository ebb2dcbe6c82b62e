/** Labels on everything Berth makes in Docker: whose installation, which app and company, which spec. */
export const LABEL = {
  installation: 'berth.installation',
  app: 'berth.app',
  company: 'berth.company',
  spec: 'berth.spec',
} as const;
