export default async function main(): Promise<number> { return 1; }
